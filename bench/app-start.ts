/**
 * The dev stack's app on its own, without flow-nexus: its template copied
 * into a folder, installed with the command a Deployment runs, and started
 * until /health answers. Part of any `up` from empty, and not the platform's
 * to make faster; the benchmark allows for it.
 */
import { spawn, execFile } from "child_process";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { NODE_START, NPM_INSTALL } from "../providers/deployment/source";
import { probe } from "../providers/runtime/http";
import { allocatePorts } from "../providers/runtime/ports";
import { PACKAGE_ROOT } from "../providers/runtime/package";

const TEMPLATE = "realtime-notes";

export async function appStartMs(): Promise<number> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-bench-app-"));
    const [port] = await allocatePorts(1);
    const started = process.hrtime.bigint();
    await fs.cp(path.join(PACKAGE_ROOT, "templates", TEMPLATE), dir, { recursive: true });
    await promisify(execFile)("sh", ["-c", NPM_INSTALL], { cwd: dir });
    const app = spawn("sh", ["-c", `exec ${NODE_START}`], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: "ignore" });
    try {
        while ((await probe(`http://127.0.0.1:${port}/health`, 1000)).statusCode !== 200) await new Promise((r) => setTimeout(r, 20));
        return Number(process.hrtime.bigint() - started) / 1e6;
    } finally {
        app.kill();
        await fs.rm(dir, { recursive: true, force: true });
    }
}
