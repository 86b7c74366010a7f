/**
 * The local backend's operations: everything lives in the stack's data
 * folder (`.flow-nexus/stacks/<stack>/`) and its embedded PostgreSQL. The
 * work is done by the providers' own libraries (ledger, refill run, audit
 * log, deployment records), so the CLI and the resources agree by construction.
 */
import * as path from "path";
import { credit, withLedger } from "../../providers/billing/ledger";
import { history, usage } from "../../providers/billing/statements";
import { runRefill } from "../../providers/billing/refill";
import { deploymentDir, readDeployment } from "../../providers/deployment/api";
import { monitorDir, readAlerts, readChecks } from "../../providers/monitor/local";
import { readAuditLog } from "../../providers/runtime/audit";
import { gatewayLog, gatewayWanted } from "../../providers/runtime/gateway";
import { readSandbox } from "../../providers/sandbox/record";
import { CliError, ExitCode } from "../errors";
import { requireOutput, StackOutputs } from "../outputs";
import { localHealth, readBalance } from "./local-health";
import { tailLocalChanges } from "./local-realtime";
import type { LogSource, PlatformBackend } from "./types";

/** The local backend of the stack whose data folder is `dataDir`. */
export function localBackend(dataDir: string, stack: string): PlatformBackend {
    return {
        kind: "local",

        health: (outputs) => localHealth(dataDir, outputs),

        async logSources(outputs: StackOutputs): Promise<LogSource[]> {
            const sandboxId = requireOutput(outputs.sandboxId, "sandboxId", stack);
            const deploymentId = requireOutput(outputs.deploymentId, "deploymentId", stack);
            const record = await readDeployment(deploymentDir(dataDir, sandboxId, deploymentId));
            if (!record) {
                const why = (await readSandbox(dataDir, sandboxId))
                    ? `deployment ${deploymentId} is not in sandbox ${sandboxId}`
                    : `sandbox ${sandboxId} is gone, and the app's log with it`;
                throw new CliError(`${why}: run pulumi refresh, then pulumi up to redeploy`, ExitCode.ServiceDown);
            }
            const sources: LogSource[] = [{ name: "app", file: record.logFile }];
            const monitorId = outputs.monitoring?.monitorId;
            if (monitorId) sources.push({ name: "watchdog", file: path.join(monitorDir(dataDir, monitorId), "watchdog.log") });
            if (await gatewayWanted(dataDir)) sources.push({ name: "gateway", file: gatewayLog(dataDir) });
            return sources;
        },

        async monitorHistory(outputs, since) {
            const monitorId = requireOutput(outputs.monitoring?.monitorId, "monitoring.monitorId", stack);
            const [checks, alerts] = await Promise.all([readChecks(dataDir, monitorId, since), readAlerts(dataDir, monitorId)]);
            return { checks, alerts };
        },

        tailChanges: (subscriptionId, onChange) => tailLocalChanges(dataDir, subscriptionId, onChange),

        async auditLog() {
            return readAuditLog(dataDir);
        },

        balance: (account) => withLedger(dataDir, (client) => readBalance(client, account)),

        history: (account, limit) => history(dataDir, account, limit === undefined ? {} : { limit }),

        usage: (account, month) => usage(dataDir, account, month),

        refill: (account, opts) => runRefill(dataDir, account, { retryFailed: opts.retryFailed }),

        credit: (account, credits, reference) => credit(dataDir, account, credits, reference),
    };
}

