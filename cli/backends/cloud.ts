/**
 * The cloud backend's operations: the services are the vendors' (E2B,
 * Supabase, Stripe) and the platform's records live in the project database
 * at flow-nexus:databaseUrl, so the same provider libraries that wrote them
 * (ledger, refill run, audit log) read them, with the credentials the stack's
 * config holds (`pulumi config --show-secrets`, read once, kept in memory).
 * The app's and the watchdog's logs and the monitor's records live in the
 * E2B sandbox; they are copied into the stack's data folder to be read.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { credit, withLedger } from "../../providers/billing/ledger";
import { runRefill } from "../../providers/billing/refill";
import { history, usage } from "../../providers/billing/statements";
import { CloudDeploymentRecord, recordPath } from "../../providers/deployment/api";
import { monitorDir } from "../../providers/monitor/e2b";
import type { AlertRecord, CheckRecord } from "../../providers/monitor/local";
import { readAuditLog } from "../../providers/runtime/audit";
import { CREDENTIALS, CredentialName, requireCredential, setCredentials } from "../../providers/runtime/credentials";
import { connectLive, readJsonFile, readText } from "../../providers/runtime/e2b";
import { CliError, ExitCode } from "../errors";
import { requireOutput, StackOutputs } from "../outputs";
import { CLOUD, cloudHealth } from "./cloud-health";
import { readBalance } from "./local-health";
import { tailChangesAt } from "./realtime-tail";
import type { LogSource, PlatformBackend } from "./types";

/** The stack's config as `pulumi config --json --show-secrets` prints it. */
export type StackConfig = Record<string, { value?: string; secret?: boolean }>;

/** Sets the cloud backends' credentials from the stack's config; a credential it lacks is unset. */
export function useStackCredentials(config: StackConfig): void {
    const credentials = Object.fromEntries(Object.entries(CREDENTIALS).map(([name, spec]) => [name, config[spec.key]?.value]));
    setCredentials(credentials as Partial<Record<CredentialName, string>>);
}

/** The JSON lines of a file in the sandbox, parsed; a line cut short by a write in progress is skipped. */
function jsonLines<T>(text: string | undefined): T[] {
    return (text ?? "")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .flatMap((line) => {
            try {
                return [JSON.parse(line) as T];
            } catch {
                return [];
            }
        });
}

/** The cloud backend of stack `stack`; `config` reads the stack's config (credentials), once, on first use. */
export function cloudBackend(dataDir: string, stack: string, config: () => Promise<StackConfig>): PlatformBackend {
    let loaded: Promise<void> | undefined;
    const ready = () => (loaded ??= config().then(useStackCredentials));
    /** `fn` once the credentials are set. */
    const withCredentials =
        <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
            await ready();
            return fn(...args);
        };

    /** A log in the sandbox, copied to the data folder whenever it is read. */
    function sandboxLog(sandboxId: string, name: string, remote: string): LogSource {
        const file = path.join(dataDir, "cloud-logs", `${name}.log`);
        return {
            name,
            file,
            async refresh() {
                const text = (await readText(await connectLive(sandboxId), remote)) ?? "";
                await fs.mkdir(path.dirname(file), { recursive: true });
                await fs.writeFile(`${file}.tmp`, text);
                await fs.rename(`${file}.tmp`, file);
            },
        };
    }

    return {
        kind: "cloud",

        health: withCredentials((outputs: StackOutputs) => cloudHealth(outputs)),

        logSources: withCredentials(async (outputs: StackOutputs) => {
            const sandboxId = requireOutput(outputs.sandboxId, "sandboxId", stack);
            const deploymentId = requireOutput(outputs.deploymentId, "deploymentId", stack);
            const sandbox = await connectLive(sandboxId).catch((err: Error) => {
                throw new CliError(`the app's sandbox ${sandboxId} cannot be reached, and its log with it: ${err.message.split("\n")[0]}`, ExitCode.ServiceDown);
            });
            const record = await readJsonFile<CloudDeploymentRecord>(sandbox, recordPath(deploymentId));
            if (!record) throw new CliError(`deployment ${deploymentId} is not in sandbox ${sandboxId}: run pulumi refresh, then pulumi up to redeploy`, ExitCode.ServiceDown);
            const sources = [sandboxLog(sandboxId, "app", record.logFile)];
            const monitorId = outputs.monitoring?.monitorId;
            if (monitorId) sources.push(sandboxLog(sandboxId, "watchdog", `${monitorDir(monitorId)}/watchdog.log`));
            return sources;
        }),

        // The watchdog in the sandbox appends each check and alert as a JSON line to its folder there.
        monitorHistory: withCredentials(async (outputs: StackOutputs, since: Date) => {
            const monitorId = requireOutput(outputs.monitoring?.monitorId, "monitoring.monitorId", stack);
            const sandbox = await connectLive(requireOutput(outputs.sandboxId, "sandboxId", stack));
            const dir = monitorDir(monitorId);
            const [checks, alerts] = await Promise.all([readText(sandbox, `${dir}/checks.jsonl`), readText(sandbox, `${dir}/alerts.jsonl`)]);
            return {
                checks: jsonLines<CheckRecord>(checks)
                    .map((c) => ({ ...c, at: new Date(c.at) }))
                    .filter((c) => c.at >= since),
                alerts: jsonLines<AlertRecord["payload"] & { deliveries: AlertRecord["deliveries"] }>(alerts).map(({ deliveries, ...payload }) => ({
                    target: payload.target,
                    at: new Date(payload.at),
                    failures: payload.failures,
                    restarted: payload.restarted,
                    message: payload.message,
                    payload,
                    deliveries,
                })),
            };
        }),

        tailChanges: withCredentials((subscriptionId: string, onChange) =>
            tailChangesAt(CLOUD, { url: requireCredential("supabaseUrl"), key: requireCredential("supabaseServiceRoleKey") }, subscriptionId, onChange),
        ),

        auditLog: withCredentials(() => readAuditLog(CLOUD)),

        balance: withCredentials((account: string) => withLedger(CLOUD, (client) => readBalance(client, account))),

        history: withCredentials((account: string, limit?: number) => history(CLOUD, account, limit === undefined ? {} : { limit })),

        usage: withCredentials((account: string, month?: string) => usage(CLOUD, account, month)),

        refill: withCredentials((account: string, opts: { retryFailed: boolean }) => runRefill(CLOUD, account, { retryFailed: opts.retryFailed })),

        credit: withCredentials((account: string, credits: number, reference: string) => credit(CLOUD, account, credits, reference)),
    };
}
