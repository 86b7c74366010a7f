/**
 * The stack's gateway: one process per local stack (gateway/main.ts) that
 * serves the parts of Supabase's APIs apps call (storage, auth, realtime) on
 * one loopback URL. This is its lifecycle: started by the first resource or
 * tool that needs it, adopted while it runs, started again when it died (the
 * monitor's watchdog and every provider call look), and stopped with the
 * stack's database at the last lease (./postgres-server). Its port is chosen
 * once and kept, so the URL an app was given stays right across restarts.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { readJson, writeFileAtomic } from "./files";
import { probe } from "./http";
import { apiKey, jwtSecret } from "./jwt";
import { spawnTypeScriptProcess } from "./load";
import { withFileLock } from "./lock";
import { moduleFile } from "./package";
import { allocatePorts, isListening } from "./ports";
import { ensurePostgres } from "./postgres-server";
import { isAlive, ProcessRef, signalPids, terminate, waitUntil } from "./process";

const ENTRY = moduleFile(__dirname, "..", "..", "gateway", "main");
/** What names a gateway process on its command line. */
const MARK = path.join("gateway", path.basename(ENTRY));

/** How to reach a running gateway, and the keys it accepts. */
export interface Gateway {
    url: string;
    port: number;
    anonKey: string;
    serviceRoleKey: string;
}

interface Running {
    process: ProcessRef;
    port: number;
}

export function gatewayDir(dataDir: string): string {
    return path.join(dataDir, "gateway");
}

const portFile = (dataDir: string) => path.join(gatewayDir(dataDir), "port.json");
const processFile = (dataDir: string) => path.join(gatewayDir(dataDir), "process.json");
export const gatewayLog = (dataDir: string) => path.join(gatewayDir(dataDir), "gateway.log");

/** The stack's keys: derived from its database password, the same on every run. */
export async function gatewayKeys(dataDir: string): Promise<{ secret: Uint8Array; anonKey: string; serviceRoleKey: string }> {
    const secret = jwtSecret((await ensurePostgres(dataDir)).password);
    const ref = path.basename(dataDir);
    return { secret, anonKey: await apiKey(secret, "anon", ref), serviceRoleKey: await apiKey(secret, "service_role", ref) };
}

async function running(dataDir: string): Promise<Running | undefined> {
    const known = await readJson<Running>(processFile(dataDir)).catch(() => undefined);
    return known && isAlive(known.process, MARK) && (await isListening(known.port)) ? known : undefined;
}

/** Whether the stack has had a gateway (so it should have one now). */
export async function gatewayWanted(dataDir: string): Promise<boolean> {
    return (await readJson(portFile(dataDir)).catch(() => undefined)) !== undefined;
}

/** The `down` of a gateway the stack should have: why it does not answer, or undefined. */
export async function gatewayDown(dataDir: string): Promise<string | undefined> {
    if (!(await gatewayWanted(dataDir)) || (await running(dataDir))) return undefined;
    return "the stack's gateway (storage, auth and realtime APIs) is not running";
}

async function start(dataDir: string): Promise<Running> {
    const known = await readJson<{ port: number }>(portFile(dataDir));
    // The same port as before, unless a stranger holds it for more than a moment (a dying connection may,
    // briefly); then another, and the apps given the old URL get the new one at their next start.
    const free = known && (await waitUntil(async () => !(await isListening(known.port)), 3000, 100));
    const port = known && free ? known.port : (await allocatePorts(1))[0];
    await writeFileAtomic(portFile(dataDir), JSON.stringify({ port }));
    const ref = await spawnTypeScriptProcess(ENTRY, [dataDir, String(port)], { cwd: gatewayDir(dataDir), logFile: gatewayLog(dataDir) });
    const health = `http://127.0.0.1:${port}/health`;
    const up = await waitUntil(async () => !isAlive(ref) || (await probe(health, 1000)).statusCode === 200, 30_000);
    if (!up || !isAlive(ref)) {
        const tail = (await fs.readFile(gatewayLog(dataDir), "utf8").catch(() => "")).trim().split("\n").slice(-8).join("\n");
        throw new Error(`the stack's gateway did not start on port ${port} (log ${gatewayLog(dataDir)}):\n${tail}`);
    }
    const started: Running = { process: ref, port };
    await writeFileAtomic(processFile(dataDir), JSON.stringify(started));
    return started;
}

/** The stack's running gateway, started first when it is not running. */
export async function ensureGateway(dataDir: string): Promise<Gateway> {
    await fs.mkdir(gatewayDir(dataDir), { recursive: true });
    const keys = await gatewayKeys(dataDir);
    const live =
        (await running(dataDir)) ??
        (await withFileLock(path.join(gatewayDir(dataDir), "start.lock"), async () => (await running(dataDir)) ?? start(dataDir), {
            waitMs: 60_000,
            what: "the stack's gateway is being started: its lock",
        }));
    return { url: `http://127.0.0.1:${live.port}`, port: live.port, anonKey: keys.anonKey, serviceRoleKey: keys.serviceRoleKey };
}

/** The running gateway's process, for `status` and the tests. */
export async function gatewayProcess(dataDir: string): Promise<(Running & { url: string }) | undefined> {
    const live = await running(dataDir);
    return live && { ...live, url: `http://127.0.0.1:${live.port}` };
}

/** Forgets the stack's gateway (so that no watchdog starts it again), then stops it when it runs. */
export async function stopGateway(dataDir: string): Promise<void> {
    const known = await readJson<Running>(processFile(dataDir)).catch(() => undefined);
    await fs.rm(portFile(dataDir), { force: true });
    if (known && isAlive(known.process, MARK)) {
        await terminate(
            (signal) => signalPids([known.process.pid], signal),
            () => (isAlive(known.process, MARK) ? [known.process.pid] : []),
        );
    }
    await fs.rm(gatewayDir(dataDir), { recursive: true, force: true });
}
