/** Runs policies the way the policy pack's server does, without an engine. */
import { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { trackSecrets } from "../../policies/secretness";

/** The engine's secret signature, as it sends secret values to a policy pack. */
export function secret(value: unknown): object {
    return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

/** A policy's config: the defaults of its configSchema, then `overrides`. */
function configOf(policy: { configSchema?: { properties: Record<string, { default?: unknown }> } }, overrides: object): object {
    const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, v.default]));
    return { ...defaults, ...overrides };
}

/**
 * Properties as a policy sees them: through @pulumi/policy's own
 * deserializer (secrets unwrapped) and unknown-checking proxy.
 */
export function policyProps(raw: Record<string, unknown>): Record<string, any> {
    trackSecrets();
    const deserialize = require("@pulumi/policy/deserialize");
    const { unknownCheckingProxy } = require("@pulumi/policy/proxy");
    return unknownCheckingProxy(deserialize.deserializeProperties(Struct.fromJavaScript(raw as never), false));
}

/** The violations `policy` reports for one resource. */
export async function violations(
    policy: ResourceValidationPolicy,
    type: string,
    name: string,
    raw: Record<string, unknown>,
    config: object = {},
): Promise<string[]> {
    const found: string[] = [];
    const args = {
        type,
        name,
        urn: `urn:pulumi:test::flow-nexus::${type}::${name}`,
        props: policyProps(raw),
        opts: {},
        getConfig: () => configOf(policy, config),
        isType: () => false,
        asType: () => undefined,
        notApplicable: () => {
            throw new Error("not applicable");
        },
    } as unknown as ResourceValidationArgs;
    const validate = policy.validateResource;
    for (const v of Array.isArray(validate) ? validate : validate ? [validate] : []) await v(args, (message) => found.push(message));
    return found;
}

/** A resource in a stack policy's view. */
export function resource(type: string, name: string, props: Record<string, unknown>, deps: Record<string, PolicyResource[]> = {}): PolicyResource {
    return {
        type: `pulumi-nodejs:dynamic/flownexus:${type}`,
        name,
        urn: `urn:pulumi:test::flow-nexus::pulumi-nodejs:dynamic/flownexus:${type}::${name}`,
        props,
        opts: {} as PolicyResource["opts"],
        dependencies: Object.values(deps).flat(),
        propertyDependencies: deps,
        isType: () => false,
        asType: () => undefined,
    } as unknown as PolicyResource;
}

/** The violations a stack policy reports. */
export async function stackViolations(policy: StackValidationPolicy, resources: PolicyResource[]): Promise<string[]> {
    const found: string[] = [];
    const args = { resources, getConfig: () => ({}), stackTags: new Map() } as never;
    await policy.validateStack(args, (message) => found.push(message));
    return found;
}
