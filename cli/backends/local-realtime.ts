/**
 * A local stack's realtime changes, through the stack's gateway
 * (./realtime-tail). Nothing is started: a database or a gateway that is not
 * running is an error that says so.
 */
import { gatewayKeys, gatewayProcess } from "../../providers/runtime/gateway";
import { postgresRunning } from "../../providers/runtime/postgres-server";
import { CliError, ExitCode } from "../errors";
import { tailChangesAt } from "./realtime-tail";
import type { ChangeEvent, ChangeTail } from "./types";

export async function tailLocalChanges(dataDir: string, subscriptionId: string, onChange: (event: ChangeEvent) => void): Promise<ChangeTail> {
    if (!postgresRunning(dataDir)) throw new CliError("the stack's PostgreSQL is not running: run pulumi up (or any billing command) to start it", ExitCode.ServiceDown);
    const gateway = await gatewayProcess(dataDir);
    if (!gateway) throw new CliError("the stack's gateway is not running: the monitor's watchdog, or the next pulumi up, starts it again", ExitCode.ServiceDown);
    return tailChangesAt(dataDir, { url: gateway.url, key: (await gatewayKeys(dataDir)).serviceRoleKey }, subscriptionId, onChange);
}
