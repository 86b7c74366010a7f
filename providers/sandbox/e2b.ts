/**
 * The cloud Sandbox backend: an E2B sandbox (`e2b` SDK). Its metadata carries
 * the user's metadata and the lineage tags (stack, URN) plus the sandbox's
 * fingerprint, so a create finds what an interrupted run of the same
 * resource made (`Sandbox.list` by metadata) and adopts it.
 *
 * E2B ends a sandbox at its timeout by killing or pausing it (the lifecycle
 * set at creation); `read` sees it gone or paused, a new timeout is applied
 * in place with `setTimeout` (a paused sandbox resumes through `connect`).
 */
import type { Sandbox, SandboxInfo } from "e2b";
import { recordSandboxUsage, requireCredits, runRefill } from "../billing/api";
import { e2bOptions, e2bSdk } from "../runtime/clients";
import { e2bError, isNotFound } from "../runtime/cloud-errors";
import { HOME, LONG_COMMAND_MS, mustRun, readText, sandboxInfo, sh, STATE_DIR } from "../runtime/e2b";
import { cloudLinkEnv } from "../runtime/links";
import { fingerprint } from "./fingerprint";
import type { Inputs, Outputs, SandboxBackend } from "./schema";

/** The metadata keys flow-nexus adds; they are not part of the user's metadata. */
const STACK = "flow-nexus:stack";
const URN = "flow-nexus:urn";
const FINGERPRINT = "flow-nexus:fingerprint";
const OWN_KEYS = [STACK, URN, FINGERPRINT, "flow-nexus:project"];

/** E2B serves every port of a sandbox; these are the ones the resource hands out. */
const FIRST_PORT = 3000;

/** Written once the startup script succeeded: a tagged sandbox without it was interrupted mid-script. */
const READY_FILE = `${STATE_DIR}/ready`;

function userMetadata(metadata: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(metadata).filter(([key]) => !OWN_KEYS.includes(key)));
}

/**
 * E2B's answer to a timeout above the team's plan (400 "Timeout cannot be
 * greater than N hours": 1 h on Hobby, 24 h on Pro, per E2B's docs), as the
 * input to change; other errors as e2bError maps them.
 */
function timeoutError(err: unknown, what: string, timeoutSeconds: number): Error {
    const limit = /Timeout cannot be greater than (\d+) hours?/i.exec((err as Error)?.message ?? "");
    if (!limit) return e2bError(err, what);
    const seconds = Number(limit[1]) * 3600;
    return new Error(
        `${what} failed: timeoutSeconds (flow-nexus:sandbox.timeoutSeconds) is ${timeoutSeconds}, above what this E2B account's plan allows, ` +
            `${limit[1]} h (${seconds} seconds; E2B allows 1 h on Hobby and 24 h on Pro). Set it to ${seconds} or less ` +
            `(pulumi config set --path flow-nexus:sandbox.timeoutSeconds ${seconds}), or move the team to a plan that allows more; nothing was changed`,
    );
}

/** The outputs for a sandbox as E2B describes it. */
function outputs(inputs: Inputs, info: SandboxInfo): Outputs {
    const domain = info.sandboxDomain ?? e2bOptions().domain ?? "e2b.app";
    const ports = Array.from({ length: inputs.ports }, (_, i) => FIRST_PORT + i);
    // E2B routes `<port>-<sandboxId>.<domain>` to a port (the SDK's getHost); `<sandboxId>.<domain>` answers nothing.
    const hostOf = (port: number) => `${port}-${info.sandboxId}.${domain}`;
    return {
        ...inputs,
        metadata: userMetadata(info.metadata),
        onTimeout: info.lifecycle?.onTimeout ?? inputs.onTimeout,
        sandboxId: info.sandboxId,
        status: info.state === "paused" ? "paused" : "running",
        host: hostOf(ports[0] ?? FIRST_PORT),
        allocatedPorts: ports,
        urls: ports.map((port) => `https://${hostOf(port)}`),
        startedAt: info.startedAt.toISOString(),
        endAt: info.endAt.toISOString(),
        isolation: "microvm",
        workDir: HOME,
    } satisfies Outputs;
}

/** The sandboxes an earlier run of this resource made, newest pages first as E2B lists them. */
async function tagged(inputs: Inputs): Promise<SandboxInfo[]> {
    const { Sandbox } = await e2bSdk();
    const query = { metadata: { [STACK]: inputs.tags[STACK], [URN]: inputs.tags[URN] } };
    const found: SandboxInfo[] = [];
    try {
        const pages = Sandbox.list({ ...e2bOptions(), query });
        while (pages.hasNext) found.push(...(await pages.nextItems()));
    } catch (err) {
        throw e2bError(err, `listing the E2B sandboxes of ${inputs.tags[URN]}`);
    }
    return found;
}

async function kill(sandboxId: string): Promise<void> {
    const { Sandbox } = await e2bSdk();
    try {
        // False when it is gone already: that is what delete wants.
        await Sandbox.kill(sandboxId, e2bOptions());
    } catch (err) {
        throw e2bError(err, `killing E2B sandbox ${sandboxId}`);
    }
}

/** A tagged sandbox of this resource that can be adopted: same fingerprint, and its startup script finished. */
async function adoptable(info: SandboxInfo, wanted: string, needsReady: boolean): Promise<boolean> {
    if (info.metadata[FINGERPRINT] !== wanted) return false;
    if (!needsReady || info.state === "paused") return true;
    const { Sandbox } = await e2bSdk();
    const sandbox = await Sandbox.connect(info.sandboxId, e2bOptions()).catch((err) => {
        throw e2bError(err, `connecting to E2B sandbox ${info.sandboxId}`);
    });
    return (await readText(sandbox, READY_FILE)) !== undefined;
}

async function runStartupScript(sandbox: Sandbox, inputs: Inputs): Promise<void> {
    const script = inputs.startupScript!;
    const result = await sh(sandbox, script, { timeoutMs: Math.min(inputs.timeoutSeconds * 1000, LONG_COMMAND_MS) });
    if (result.exitCode !== 0) {
        const output = `${result.stdout}${result.stderr}`.trimEnd().split("\n").slice(-40).join("\n");
        throw new Error(`the startup script of sandbox ${sandbox.sandboxId} exited with code ${result.exitCode}; the last lines of its output:\n${output}`);
    }
    await mustRun(sandbox, `mkdir -p ${STATE_DIR} && date -u +%FT%TZ > ${READY_FILE}`, `marking sandbox ${sandbox.sandboxId} ready`);
}

async function create(inputs: Inputs): Promise<Outputs> {
    const wanted = fingerprint(inputs);
    for (const info of await tagged(inputs)) {
        // Made by an interrupted run of this resource: adopt it; one interrupted mid-script is cleared.
        if (await adoptable(info, wanted, inputs.startupScript !== undefined)) return outputs(inputs, info);
        if (info.metadata[FINGERPRINT] === wanted) await kill(info.sandboxId);
    }

    // Before anything starts: a billed sandbox needs credits.
    if (inputs.billing) await requireCredits(inputs.backend, inputs.billing.account, `an E2B sandbox (${inputs.template})`);
    const { Sandbox } = await e2bSdk();
    let sandbox: Sandbox;
    try {
        sandbox = await Sandbox.create(inputs.template, {
            ...e2bOptions(),
            timeoutMs: inputs.timeoutSeconds * 1000,
            // What its links give: the Supabase project's URL and keys, from the stack's credentials (never in state).
            envs: { ...inputs.envs, ...(inputs.links.length ? cloudLinkEnv(inputs.links) : {}) },
            metadata: { ...inputs.metadata, [STACK]: inputs.tags[STACK], [URN]: inputs.tags[URN], [FINGERPRINT]: wanted },
            lifecycle: { onTimeout: inputs.onTimeout },
        });
    } catch (err) {
        throw timeoutError(err, `creating an E2B sandbox from template ${inputs.template}`, inputs.timeoutSeconds);
    }
    try {
        if (inputs.startupScript !== undefined) await runStartupScript(sandbox, inputs);
        const info = await sandboxInfo(sandbox.sandboxId);
        if (!info) throw new Error(`E2B sandbox ${sandbox.sandboxId} ended right after it was created`);
        return outputs(inputs, info);
    } catch (err) {
        // Nothing half-made stays running (and billing).
        await kill(sandbox.sandboxId).catch(() => undefined);
        throw err;
    }
}

export const backend: SandboxBackend = {
    create,

    async read(id, state) {
        const info = await sandboxInfo(id);
        return info ? outputs(state, info) : undefined;
    },

    async update(id, olds, news) {
        const { Sandbox } = await e2bSdk();
        const info = await sandboxInfo(id);
        if (!info) throw new Error(`sandbox ${id} is gone (expired or killed); run \`pulumi refresh\`, then \`pulumi up\` creates a new one`);
        const timeoutMs = news.timeoutSeconds * 1000;
        if (news.timeoutSeconds !== olds.timeoutSeconds || info.state === "paused") {
            try {
                // A new timeout counts from now; a paused sandbox given time again resumes with it.
                if (info.state === "paused") await Sandbox.connect(id, { ...e2bOptions(), timeoutMs });
                else await Sandbox.setTimeout(id, timeoutMs, e2bOptions());
            } catch (err) {
                const mapped = timeoutError(err, `setting the timeout of E2B sandbox ${id}`, news.timeoutSeconds);
                if (isNotFound(mapped)) throw new Error(`sandbox ${id} is gone (expired or killed); run \`pulumi refresh\`, then \`pulumi up\` creates a new one`);
                throw mapped;
            }
        }
        const now = await sandboxInfo(id);
        if (!now) throw new Error(`sandbox ${id} ended while its timeout was being changed`);
        return outputs(news, now);
    },

    async delete(id, state) {
        // The running time is charged before the sandbox goes: E2B has no
        // supervisor of ours to meter it, so it is charged up to now, or up
        // to its end time when it ended on its own.
        if (state.billing) {
            const { account, creditsPerHour } = state.billing;
            const until = new Date(Math.min(Date.now(), Date.parse(state.endAt)));
            await recordSandboxUsage(state.backend, account, id, new Date(state.startedAt), until, creditsPerHour);
            // The usage is recorded either way; a refill that cannot run now (Stripe down) runs next time.
            await runRefill(state.backend, account).catch(() => undefined);
        }
        await kill(id);
    },
};
