#!/usr/bin/env node
// Runs `pulumi` against this project's local workspace: a file backend and a
// PULUMI_HOME under .flow-nexus/ (git-ignored), so nothing needs an account.
//
//   node engine/local.mjs up        install if needed, then `pulumi up` the dev stack
//   node engine/local.mjs preview   likewise `pulumi preview`
//   node engine/local.mjs destroy   likewise `pulumi destroy`
//   node engine/local.mjs -- ARGS   any pulumi command, e.g. `-- stack output --json`
//   node engine/local.mjs --install-only   only install the packages and the engine
//
// FLOW_NEXUS_STACK picks another stack than `dev`.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureEngine } from "./bootstrap.mjs";

const projectDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const workspaceDir = path.join(projectDir, ".flow-nexus");

/**
 * The dev stack's secrets (the passphrase that encrypts them included) are
 * for this machine only: never use this passphrase for a stack that matters.
 */
export const DEV_PASSPHRASE = "flow-nexus-dev-only";

/** Logs the workspace's PULUMI_HOME keeps: every pulumi command writes one. */
const KEPT_LOGS = { newest: 50, maxAgeDays: 7 };

/** Removes the logs of `logsDir` beyond the newest `newest`, and any older than `maxAgeDays`. */
export function pruneLogs(logsDir, { newest, maxAgeDays } = KEPT_LOGS, now = Date.now()) {
    let files;
    try {
        files = fs.readdirSync(logsDir).filter((f) => f.endsWith(".log"));
    } catch {
        return 0;
    }
    const dated = files.map((f) => ({ file: path.join(logsDir, f), mtime: fs.statSync(path.join(logsDir, f)).mtimeMs })).sort((a, b) => b.mtime - a.mtime);
    const old = dated.filter((f, i) => i >= newest || now - f.mtime > maxAgeDays * 86_400_000);
    for (const { file } of old) fs.rmSync(file, { force: true });
    return old.length;
}

/** The environment that points pulumi at the local workspace. */
export function localEnv(binDir, base = process.env) {
    fs.mkdirSync(path.join(workspaceDir, "state"), { recursive: true });
    fs.mkdirSync(path.join(workspaceDir, "home"), { recursive: true });
    // Only the workspace's own PULUMI_HOME: a user's own is theirs to keep.
    if (!base.PULUMI_HOME) pruneLogs(path.join(workspaceDir, "home", "logs"));
    return {
        ...base,
        PATH: `${binDir}${path.delimiter}${base.PATH ?? ""}`,
        PULUMI_HOME: base.PULUMI_HOME ?? path.join(workspaceDir, "home"),
        PULUMI_BACKEND_URL: base.PULUMI_BACKEND_URL ?? `file://${path.join(workspaceDir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: base.PULUMI_CONFIG_PASSPHRASE ?? DEV_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_NODEJS_TRANSPILE_ONLY: base.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
    };
}

function run(cmd, args, env) {
    const result = spawnSync(cmd, args, { cwd: projectDir, env, stdio: "inherit" });
    if (result.error) throw result.error;
    return result.status ?? 1;
}

function main(argv) {
    if (!fs.existsSync(path.join(projectDir, "node_modules", "@pulumi", "pulumi"))) {
        const status = run("npm", ["ci", "--no-audit", "--no-fund"], process.env);
        if (status !== 0) return status;
    }
    const engine = ensureEngine({ log: (m) => console.error(m) });
    const env = localEnv(engine.binDir);
    const stack = process.env.FLOW_NEXUS_STACK ?? "dev";

    const [command, ...rest] = argv;
    if (command === "--install-only") return 0;
    if (command === "--") return run("pulumi", rest, env);
    if (!["up", "preview", "destroy", "refresh"].includes(command)) {
        console.error("usage: node engine/local.mjs up|preview|destroy|refresh [pulumi flags] | -- <pulumi args>");
        return 2;
    }
    const exists = spawnSync("pulumi", ["stack", "select", stack, "--non-interactive"], { cwd: projectDir, env });
    if (exists.status !== 0) {
        const status = run("pulumi", ["stack", "init", stack, "--non-interactive"], env);
        if (status !== 0) return status;
    }
    const yes = command === "preview" ? [] : ["--yes"];
    return run("pulumi", [command, "--stack", stack, "--non-interactive", ...yes, ...rest], env);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
    try {
        process.exit(main(process.argv.slice(2)));
    } catch (err) {
        console.error(`flow-nexus: ${err.message}`);
        process.exit(1);
    }
}
