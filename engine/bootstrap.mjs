#!/usr/bin/env node
// Makes a working Pulumi engine available: the `pulumi` CLI, a Node.js
// language host and the dynamic-provider plugin, all in one bin directory.
//
//   1. A `pulumi` on PATH at least as new as the pinned version is used as is.
//   2. Otherwise the pinned CLI and our language host (engine/langhost) are
//      built from their Go modules into a cache outside the repository; a
//      second run finds the cache and returns at once.
//   3. Otherwise it fails with one message saying how to install Pulumi.
//
// Nothing is downloaded except Go modules through the Go module proxy.
// Usage: node engine/bootstrap.mjs [--quiet] [--json]
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const engineDir = path.dirname(fileURLToPath(import.meta.url));
const projectDir = path.dirname(engineDir);

/** The CLI version we pin: the pkg/v3 requirement of engine/go.mod. */
export function pinnedVersion() {
    const gomod = fs.readFileSync(path.join(engineDir, "go.mod"), "utf8");
    const match = /github\.com\/pulumi\/pulumi\/pkg\/v3 v(\d+\.\d+\.\d+)/.exec(gomod);
    if (!match) throw new Error("engine/go.mod does not pin github.com/pulumi/pulumi/pkg/v3");
    return match[1];
}

/** Compares two x.y.z versions: negative, zero or positive. */
export function compareVersions(a, b) {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < 3; i++) {
        if (pa[i] !== pb[i]) return pa[i] - pb[i];
    }
    return 0;
}

/** The cache root; FLOW_NEXUS_ENGINE_CACHE moves it. */
export function cacheRoot() {
    if (process.env.FLOW_NEXUS_ENGINE_CACHE) return path.resolve(process.env.FLOW_NEXUS_ENGINE_CACHE);
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "flow-nexus", "engine");
}

/** Finds a usable `pulumi` on PATH, or returns undefined. */
function pulumiOnPath(minimum) {
    const found = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" });
    const bin = found.stdout.trim();
    if (found.status !== 0 || !bin) return undefined;
    const out = spawnSync(bin, ["version"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    const version = /v?(\d+\.\d+\.\d+)/.exec(out.stdout ?? "")?.[1];
    if (!version || compareVersions(version, minimum) < 0) return undefined;
    const binDir = path.dirname(fs.realpathSync(bin));
    for (const plugin of ["pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"]) {
        if (!fs.existsSync(path.join(binDir, plugin))) return undefined;
    }
    return { binDir, version, source: "path" };
}

/** A key for what the build depends on, so an edit to the host rebuilds. */
function sourceKey() {
    const hash = createHash("sha256");
    const files = ["go.mod", "go.sum", ...["langhost", "plugin"].flatMap((d) => fs.readdirSync(path.join(engineDir, d)).map((f) => `${d}/${f}`))];
    for (const file of files.sort()) {
        hash.update(file).update(fs.readFileSync(path.join(engineDir, file)));
    }
    return hash.digest("hex").slice(0, 12);
}

/** A key for the CLI alone: it depends on the pinned modules, not on our host. */
function cliKey() {
    const hash = createHash("sha256");
    for (const file of ["go.mod", "go.sum"]) hash.update(fs.readFileSync(path.join(engineDir, file)));
    return hash.digest("hex").slice(0, 12);
}

function goAvailable() {
    return spawnSync("go", ["version"], { encoding: "utf8" }).status === 0;
}

function buildEngine(version, binDir, log) {
    const staging = `${binDir}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" };
    const go = (args) => execFileSync("go", args, { cwd: engineDir, env, stdio: ["ignore", "inherit", "inherit"] });
    const common = ["build", "-trimpath", "-tags", "osusergo,grpcnotrace"];

    // The CLI is kept on its own: an edit to our host rebuilds only the host.
    const cli = path.join(cacheRoot(), `cli-v${version}-${cliKey()}`, "pulumi");
    if (!fs.existsSync(cli)) {
        log(`building the Pulumi CLI v${version} from its Go modules (first run on this machine only)…`);
        fs.mkdirSync(path.dirname(cli), { recursive: true });
        go([...common, "-ldflags", `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`,
            "-o", `${cli}.partial-${process.pid}`, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"]);
        fs.renameSync(`${cli}.partial-${process.pid}`, cli);
    }
    fs.copyFileSync(cli, path.join(staging, "pulumi"));
    fs.chmodSync(path.join(staging, "pulumi"), 0o755);
    log("building the Node.js language host (engine/langhost)…");
    go([...common, "-ldflags", `-s -w -X main.version=${version}`,
        "-o", path.join(staging, "pulumi-language-nodejs"), "./langhost"]);

    // The dynamic-provider plugin: @pulumi/pulumi's script, made to exit with the engine.
    for (const file of fs.readdirSync(path.join(engineDir, "plugin"))) {
        fs.copyFileSync(path.join(engineDir, "plugin", file), path.join(staging, file));
        fs.chmodSync(path.join(staging, file), 0o755);
    }

    fs.rmSync(binDir, { recursive: true, force: true });
    fs.renameSync(staging, binDir);
}

/**
 * Returns `{ binDir, version, source }` for an engine that works here,
 * building it when needed. Throws with install instructions otherwise.
 */
export function ensureEngine({ log = () => {} } = {}) {
    const version = pinnedVersion();
    const onPath = process.env.FLOW_NEXUS_BUILD_ENGINE ? undefined : pulumiOnPath(version);
    if (onPath) return onPath;

    const binDir = path.join(cacheRoot(), `v${version}-${sourceKey()}`, "bin");
    if (fs.existsSync(path.join(binDir, "pulumi"))) return { binDir, version, source: "cache" };

    if (!goAvailable()) {
        throw new Error(
            `flow-nexus needs the Pulumi CLI v${version} or newer, and found none on PATH.\n` +
                "Install Pulumi (https://www.pulumi.com/docs/install/) and run this again, " +
                "or install Go 1.26+ so that this script can build the pinned CLI from its Go modules.",
        );
    }
    buildEngine(version, binDir, log);
    return { binDir, version, source: "built" };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
    const quiet = process.argv.includes("--quiet");
    const started = Date.now();
    try {
        const engine = ensureEngine({ log: (m) => quiet || console.error(m) });
        if (process.argv.includes("--json")) {
            console.log(JSON.stringify(engine));
        } else if (!quiet) {
            const seconds = ((Date.now() - started) / 1000).toFixed(1);
            console.log(`pulumi v${engine.version} (${engine.source}, ${seconds}s): ${engine.binDir}`);
        }
    } catch (err) {
        console.error(`engine bootstrap failed: ${err.message}`);
        process.exit(1);
    }
}
