/**
 * The quality gates of the platform process, one stack policy per phase.
 *
 * During preview a gate checks structure: the phase's resources exist and
 * are wired to each other. Values (status, health) are judged when known:
 * reading a value that preview does not know yet makes @pulumi/policy
 * report the gate as not run ("can't run policy ... during preview"), so a
 * gate never passes silently on what it could not see.
 */
import { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import * as http from "http";
import * as https from "https";
import { label, ofType } from "./types";

type Check = (resources: PolicyResource[], report: ReportViolation) => void | Promise<void>;

// @pulumi/policy reports a policy that throws this as not run ("can't run
// policy ... during preview") at advisory level, instead of failing it.
const { UnknownValueError, unknownStringValue } = require("@pulumi/policy/proxy") as {
    UnknownValueError: new (sentinel: unknown, props: string[]) => Error;
    unknownStringValue: unknown;
};

/** A value the engine does not have yet: a preview of a change has the inputs, not the outputs. */
class NotKnownYet extends UnknownValueError {
    constructor(resource: PolicyResource, property: string) {
        super(unknownStringValue, [resource.name, property]);
        this.message = `${label(resource.type, resource.name)}: ${property} is not known until the update runs`;
    }
}

/** An output of `resource`, or a NotKnownYet that stops the gate (reported as not run, never as passed). */
function known<T = unknown>(resource: PolicyResource, property: string): T {
    const value = resource.props[property];
    if (value === undefined) throw new NotKnownYet(resource, property);
    return value as T;
}

function gate(phase: number, title: string, description: string, check: Check): StackValidationPolicy {
    return {
        name: `phase-${phase}-gate`,
        description: `Phase ${phase} (${title}): ${description}`,
        enforcementLevel: "mandatory",
        configSchema: { properties: {} },
        validateStack: (args, reportViolation) =>
            check(args.resources, (message, urn) => reportViolation(`phase ${phase} (${title}): ${message}`, urn)),
    };
}

/** Whether `resource` takes `property` from one of `from` (an output of it). */
function wiredTo(resource: PolicyResource, property: string, from: PolicyResource[]): boolean {
    const sources = resource.propertyDependencies[property] ?? [];
    return sources.some((s) => from.some((f) => f.urn === s.urn));
}

/** Reports a missing resource type; returns the resources of that type. */
function expectType(resources: PolicyResource[], type: string, report: ReportViolation, why: string): PolicyResource[] {
    const found = ofType(resources, type);
    if (found.length === 0) report(`no ${type}: ${why}`);
    return found;
}

/** GET `url`, the status code or the error; never throws. */
export function httpStatus(url: string, timeoutMs = 3000): Promise<number | string> {
    return new Promise((resolve) => {
        const client = url.startsWith("https:") ? https : http;
        const req = client.get(url, { timeout: timeoutMs }, (res) => {
            res.resume();
            resolve(res.statusCode ?? "no status");
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", (err) => resolve(err.message));
    });
}

export const phase1Gate = gate(1, "authentication", "the platform user exists and has a profile.", (resources, report) => {
    for (const user of expectType(resources, "PlatformUser", report, "the platform needs its account")) {
        const profile = known<{ id?: string; email?: string }>(user, "profile");
        if (!known(user, "userId") || profile.id !== user.props.userId || !profile.email) {
            report(`${label(user.type, user.name)} is not registered: it has no user id and profile.`, user.urn);
        }
    }
});

export const phase2Gate = gate(2, "configure services", "sandbox running, storage configured, schema applied, realtime active (a change round trip).", (resources, report) => {
    const sandboxes = expectType(resources, "Sandbox", report, "the platform needs a development sandbox");
    const buckets = expectType(resources, "StorageBucket", report, "the platform needs a storage bucket");
    const schemas = expectType(resources, "DatabaseSchema", report, "the platform needs its database schema");
    const subscriptions = expectType(resources, "RealtimeSubscription", report, "the platform needs a realtime subscription");
    for (const s of subscriptions) {
        if (!wiredTo(s, "table", schemas)) report(`${label(s.type, s.name)} is not wired to a DatabaseSchema: take its table from the schema's output.`, s.urn);
    }
    for (const s of sandboxes) {
        if (known(s, "status") !== "running") report(`${label(s.type, s.name)} is ${s.props.status}, not running.`, s.urn);
    }
    for (const b of buckets) {
        if (!known(b, "bucketId")) report(`${label(b.type, b.name)} has no bucket id: it was not created.`, b.urn);
    }
    for (const d of schemas) {
        const wanted = (d.props.migrations as Array<{ id: string }>).map((m) => m.id);
        const applied = known<string[]>(d, "applied");
        const missing = wanted.filter((id) => !applied.includes(id));
        if (missing.length > 0) report(`${label(d.type, d.name)} has unapplied migrations: ${missing.join(", ")}.`, d.urn);
    }
    for (const s of subscriptions) {
        if (known(s, "active") !== true) report(`${label(s.type, s.name)} is not active: ${s.props.table} is not in the supabase_realtime publication, or a probe change did not come back through realtime (flow-nexus status says which).`, s.urn);
    }
});

export const phase3Gate = gate(3, "deploy applications", "the app is deployed in the sandbox and its health check passes now.", async (resources, report) => {
    const sandboxes = ofType(resources, "Sandbox");
    const deployments = expectType(resources, "Deployment", report, "the platform deploys an application");
    for (const d of deployments) {
        if (!wiredTo(d, "sandboxId", sandboxes)) report(`${label(d.type, d.name)} is not deployed into a Sandbox of this stack.`, d.urn);
        if (!d.props.healthPath) report(`${label(d.type, d.name)} declares no health check (healthPath).`, d.urn);
    }
    for (const d of deployments) {
        const healthUrl = known<string>(d, "healthUrl");
        if (known(d, "status") !== "healthy") report(`${label(d.type, d.name)} is ${d.props.status}, not healthy.`, d.urn);
        if (!healthUrl) continue;
        // The recorded status is from deploy time: ask the app itself.
        const status = await httpStatus(healthUrl);
        if (status !== 200) report(`${label(d.type, d.name)}: GET ${healthUrl} answered ${status}, not 200.`, d.urn);
    }
});

export const phase4Gate = gate(4, "manage operations", "a monitor watches the app, with at least one alert channel, and is active.", (resources, report) => {
    const deployments = ofType(resources, "Deployment");
    const monitors = expectType(resources, "Monitor", report, "the platform's app needs monitoring");
    for (const m of monitors) {
        if (deployments.length > 0 && !wiredTo(m, "targets", deployments)) {
            report(`${label(m.type, m.name)} does not watch a Deployment of this stack: take its target from the deployment's health URL.`, m.urn);
        }
        if (!Array.isArray(m.props.alerts) || m.props.alerts.length === 0) report(`${label(m.type, m.name)} has no alert channel.`, m.urn);
    }
    for (const m of monitors) {
        if (known(m, "status") !== "active") report(`${label(m.type, m.name)} is ${m.props.status}: its watchdog does not run.`, m.urn);
    }
});

export const phase5Gate = gate(5, "handle payments", "auto-refill is configured with a monthly limit, and the balance is tracked.", (resources, report) => {
    const refills = expectType(resources, "AutoRefill", report, "the platform needs auto-refill configured");
    for (const r of refills) {
        if (r.props.monthlyLimitUsd === undefined || r.props.monthlyLimitUsd === null) report(`${label(r.type, r.name)} has no monthly limit.`, r.urn);
    }
    for (const r of refills) {
        if (known(r, "status") !== "enabled") report(`${label(r.type, r.name)} is ${r.props.status}, not enabled.`, r.urn);
        if (typeof known(r, "balance") !== "number") report(`${label(r.type, r.name)} reports no balance: usage is not tracked.`, r.urn);
    }
});

export const gates = [phase1Gate, phase2Gate, phase3Gate, phase4Gate, phase5Gate];
