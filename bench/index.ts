/**
 * `npm run bench`: what the platform costs through the real engine, against
 * a floor measured in the same run: the same number of dynamic resources that
 * do nothing, through the same engine and language host. Prints a table;
 * asserts nothing (speed is measured, never tested).
 */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, TestStack } from "../test/e2e/harness";
import { megabytes, platformAtRestKb, samplePeak } from "./processes";

const RUNS = 3;

interface Measured {
    resources: number;
    upMs: number;
    previewMs: number;
    noopUpMs: number;
    destroyMs: number;
    stateBytesPerResource: number;
    peakEngineKb: number;
    atRestKb?: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
    const started = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

/** Runs one stack through up, no-op previews and ups, and destroy. */
async function measure(stack: TestStack, dataDir?: string): Promise<Measured> {
    const flags = ["--stack", stack.name, "--non-interactive", "--yes", "--skip-preview"];
    let sampler: ReturnType<typeof samplePeak> | undefined;
    const upMs = await timed(() => stack.run(["up", ...flags], (pid) => (sampler = samplePeak(pid))));
    const peakEngineKb = sampler!.stop();

    const state = await stack.exportState();
    const dynamic = (state.deployment.resources ?? []).filter((r) => String(r.type).startsWith("pulumi-nodejs:dynamic/"));
    const stateBytesPerResource = Math.round(dynamic.reduce((sum, r) => sum + JSON.stringify(r).length, 0) / dynamic.length);

    const previews: number[] = [];
    const ups: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        previews.push(await timed(() => stack.run(["preview", "--stack", stack.name, "--non-interactive", "--expect-no-changes"])));
        ups.push(await timed(() => stack.run(["up", ...flags, "--expect-no-changes"])));
    }
    // Let the watchdogs and supervisors settle before weighing them.
    const atRestKb = dataDir ? (await new Promise((r) => setTimeout(r, 2000)), platformAtRestKb(dataDir)) : undefined;
    const destroyMs = await timed(() => stack.run(["destroy", ...flags]));
    return {
        resources: dynamic.length,
        upMs,
        previewMs: median(previews),
        noopUpMs: median(ups),
        destroyMs,
        stateBytesPerResource,
        peakEngineKb,
        atRestKb,
    };
}

async function platformStack(count: number, dataDir: string): Promise<TestStack> {
    if (count === 1) {
        return TestStack.create(PROJECT_DIR, { secrets: { "flow-nexus:password": "bench-password-123" } });
    }
    return TestStack.create(path.join(__dirname, "platforms"), {
        config: { count: String(count), dataDir },
        secrets: { password: "bench-password-123" },
    });
}

async function compare(label: string, platforms: number): Promise<string[]> {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-bench-"));
    const platform = await platformStack(platforms, dataDir);
    const platformData = platforms === 1 ? path.join(PROJECT_DIR, ".flow-nexus", "stacks", platform.name) : dataDir;
    let floor: TestStack | undefined;
    try {
        const p = await measure(platform, platformData);
        floor = await TestStack.create(path.join(__dirname, "floor"), { config: { count: String(p.resources) } });
        const f = await measure(floor);
        const s = (ms: number) => (ms / 1000).toFixed(2);
        const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
        return [
            `| ${label} | up from empty | ${s(p.upMs)} s | ${s(f.upMs)} s | ${ratio(p.upMs, f.upMs)} |`,
            `| ${label} | no-op preview | ${s(p.previewMs)} s | ${s(f.previewMs)} s | ${ratio(p.previewMs, f.previewMs)} |`,
            `| ${label} | no-op up | ${s(p.noopUpMs)} s | ${s(f.noopUpMs)} s | ${ratio(p.noopUpMs, f.noopUpMs)} |`,
            `| ${label} | destroy | ${s(p.destroyMs)} s | ${s(f.destroyMs)} s | ${ratio(p.destroyMs, f.destroyMs)} |`,
            `| ${label} | state per dynamic resource | ${(p.stateBytesPerResource / 1024).toFixed(1)} KB | ${(f.stateBytesPerResource / 1024).toFixed(1)} KB | ${ratio(p.stateBytesPerResource, f.stateBytesPerResource)} |`,
            `| ${label} | engine peak memory during up | ${megabytes(p.peakEngineKb)} MB | ${megabytes(f.peakEngineKb)} MB | ${ratio(p.peakEngineKb, f.peakEngineKb)} |`,
            `| ${label} | platform at rest (Postgres, supervisors, watchdogs; apps excluded) | ${megabytes(p.atRestKb ?? 0)} MB | - | - |`,
        ];
    } finally {
        await platform.dispose();
        await floor?.dispose();
        await fs.rm(dataDir, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    const platforms = Number(process.env.FLOW_NEXUS_BENCH_PLATFORMS ?? 10);
    console.log(`flow-nexus benchmark: ${os.cpus().length} cores, node ${process.version}; medians of ${RUNS} no-op runs`);
    const rows = [
        "| program | measure | platform | floor (same number of no-op resources) | ratio |",
        "|---|---|---|---|---|",
        ...(await compare("dev stack (1 platform)", 1)),
        ...(await compare(`${platforms} platforms`, platforms)),
    ];
    console.log(rows.join("\n"));
    console.log("targets: no-op preview and no-op up within 1.3x the floor; under 30 KB of state per dynamic resource; the platform at rest under 300 MB.");
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
