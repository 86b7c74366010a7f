/**
 * `npm run bench`: what users feel, through the real engine, against a floor
 * measured in the same run: a program of the same shape (the measured
 * program's components, and as many dynamic resources that do nothing, under
 * the same parents, with the same dependencies and the same properties in
 * the state: see ./shape.ts), through
 * the same engine and language host. Every measure is taken
 * in alternating A/B pairs (the platform, then the floor), so that what the
 * machine does meanwhile weighs on both. Prints medians, ratios and the
 * targets; asserts nothing (speed is measured, never tested).
 *
 * FLOW_NEXUS_BENCH_RUNS (default 3) pairs per measure;
 * FLOW_NEXUS_BENCH_PLATFORMS (default 10) platforms in the many-platform program.
 */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, TestStack } from "../test/e2e/harness";
import { appStartMs } from "./app-start";
import { megabytes, platformAtRestKb, samplePeak } from "./processes";
import { Shape, shapeOf } from "./shape";

const RUNS = Number(process.env.FLOW_NEXUS_BENCH_RUNS ?? 3);
const PLATFORMS = Number(process.env.FLOW_NEXUS_BENCH_PLATFORMS ?? 10);
const PASSWORD = "bench-password-123";

type Measure = "up from empty" | "no-op preview" | "no-op up" | "destroy";
const MEASURES: Measure[] = ["up from empty", "no-op preview", "no-op up", "destroy"];

/** One program of a pair: its stack, and the samples of each measure. */
interface Side {
    stack: TestStack;
    samples: Record<Measure, number[]>;
    peakEngineKb: number;
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

function side(stack: TestStack): Side {
    return { stack, samples: { "up from empty": [], "no-op preview": [], "no-op up": [], destroy: [] }, peakEngineKb: 0 };
}

const FLAGS = (stack: TestStack) => ["--stack", stack.name, "--non-interactive"];

/** Each step of a stack's life, in turn for both sides of the pair. */
async function pairs(a: Side, b: Side, atRest: () => Promise<void>): Promise<void> {
    const step = async (measure: Measure, args: (s: TestStack) => string[], sample = false) => {
        for (const s of [a, b]) {
            let sampler: ReturnType<typeof samplePeak> | undefined;
            s.samples[measure].push(await timed(() => s.stack.run(args(s.stack), sample ? (pid) => (sampler = samplePeak(pid)) : undefined)));
            if (sampler) s.peakEngineKb = Math.max(s.peakEngineKb, sampler.stop());
        }
    };
    for (let run = 0; run < RUNS; run++) {
        await step("up from empty", (s) => ["up", ...FLAGS(s), "--yes", "--skip-preview"], true);
        await step("no-op preview", (s) => ["preview", ...FLAGS(s), "--expect-no-changes"]);
        await step("no-op up", (s) => ["up", ...FLAGS(s), "--yes", "--skip-preview", "--expect-no-changes"]);
        if (run === 0) await atRest();
        await step("destroy", (s) => ["destroy", ...FLAGS(s), "--yes", "--skip-preview"]);
    }
}

async function shape(stack: TestStack): Promise<Shape> {
    const state = await stack.exportState();
    return shapeOf(state.deployment.resources ?? []);
}

/** The program of `platforms` platforms (the dev stack for one), and where its services keep their data. */
async function platformProgram(platforms: number, dataDir: string): Promise<{ stack: TestStack; dataDir: string }> {
    if (platforms === 1) {
        const stack = await TestStack.create(PROJECT_DIR, { secrets: { "flow-nexus:password": PASSWORD } });
        return { stack, dataDir: path.join(PROJECT_DIR, ".flow-nexus", "stacks", stack.name) };
    }
    const stack = await TestStack.create(path.join(__dirname, "platforms"), { config: { count: String(platforms), dataDir }, secrets: { password: PASSWORD } });
    return { stack, dataDir };
}

interface Row {
    program: string;
    measure: string;
    platform: string;
    floor: string;
    ratio: string;
    target: string;
    met?: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const times = (r: number) => `${r.toFixed(2)}x`;

/** The platform program against its floor: every measure, its median and ratio. */
async function compare(label: string, platforms: number, appMs: number): Promise<Row[]> {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-bench-"));
    await fs.chmod(dataDir, 0o755);
    const shapeDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-bench-shape-"));
    const program = await platformProgram(platforms, dataDir);
    let floor: TestStack | undefined;
    try {
        // The floor copies the platform program's shape, taken from a first up.
        await program.stack.up();
        const programShape = await shape(program.stack);
        const count = programShape.resources.length;
        await program.stack.destroy();
        const shapeFile = path.join(shapeDir, "shape.json");
        await fs.writeFile(shapeFile, JSON.stringify(programShape));
        floor = await TestStack.create(path.join(__dirname, "floor"), { config: { shapeFile } });
        const p = side(program.stack);
        const f = side(floor);
        let atRestKb = 0;
        await pairs(p, f, async () => {
            // Let the watchdogs, supervisors and gateway settle before weighing them.
            await new Promise((r) => setTimeout(r, 3000));
            atRestKb = platformAtRestKb(program.dataDir);
        });
        const rows: Row[] = MEASURES.map((measure) => {
            const [pm, fm] = [median(p.samples[measure]), median(f.samples[measure])];
            const ratio = pm / fm;
            const row: Row = { program: label, measure, platform: seconds(pm), floor: seconds(fm), ratio: times(ratio), target: "" };
            if (measure === "no-op preview" || measure === "no-op up") Object.assign(row, { target: "<= 1.10x", met: ratio <= 1.1 });
            if (measure === "up from empty" && platforms === 1) {
                const allowed = 1.5 * fm + appMs;
                Object.assign(row, { target: `<= 1.5x floor + app start (${seconds(allowed)})`, met: pm <= allowed });
            }
            if (measure === "up from empty" && platforms > 1) Object.assign(row, { target: "<= 1.50x", met: ratio <= 1.5 });
            return row;
        });
        rows.push({
            program: label,
            measure: `${count} dynamic resources: engine peak memory during up`,
            platform: `${megabytes(p.peakEngineKb)} MB`,
            floor: `${megabytes(f.peakEngineKb)} MB`,
            ratio: times(p.peakEngineKb / f.peakEngineKb),
            target: "",
        });
        const restTarget = platforms > 1 ? { target: "< 400 MB", met: atRestKb < 400 * 1024 } : { target: "" };
        rows.push({ program: label, measure: "at rest: Postgres, gateway, supervisors, watchdogs (apps excluded)", platform: `${megabytes(atRestKb)} MB`, floor: "-", ratio: "-", ...restTarget });
        return rows;
    } finally {
        await program.stack.dispose();
        await floor?.dispose();
        await fs.rm(dataDir, { recursive: true, force: true });
        await fs.rm(shapeDir, { recursive: true, force: true });
    }
}

/**
 * A user's plain `pulumi up` of the dev stack (whatever host is on PATH, and
 * no PULUMI_NODEJS_TRANSPILE_ONLY) against `npm run up`, in pairs, each from
 * empty and destroyed after.
 */
async function plainPulumiUp(): Promise<Row> {
    const stack = await TestStack.create(PROJECT_DIR, { secrets: { "flow-nexus:password": PASSWORD } });
    const plain: number[] = [];
    const npm: number[] = [];
    const ok = async (run: Promise<{ code: number; output: string }>) => {
        const result = await run;
        if (result.code !== 0) throw new Error(result.output);
    };
    try {
        for (let run = 0; run < RUNS; run++) {
            plain.push(await timed(() => ok(stack.exec("pulumi", ["up", ...FLAGS(stack), "--yes"], { PULUMI_NODEJS_TRANSPILE_ONLY: undefined }))));
            await stack.destroy();
            npm.push(await timed(() => ok(stack.exec("npm", ["run", "up", "--silent"], { FLOW_NEXUS_STACK: stack.name }))));
            await stack.destroy();
        }
    } finally {
        await stack.dispose();
    }
    const ratio = median(plain) / median(npm);
    const host = (await stack.exec("sh", ["-c", "command -v pulumi-language-nodejs"])).stdout.trim();
    return {
        program: "dev stack (1 platform)",
        measure: `plain \`pulumi up\` (${host}) against \`npm run up\``,
        platform: seconds(median(plain)),
        floor: seconds(median(npm)),
        ratio: times(ratio),
        target: "<= 1.20x",
        met: ratio <= 1.2,
    };
}

function table(rows: Row[]): string {
    const verdict = (r: Row) => (r.met === undefined ? "" : r.met ? "met" : "NOT met");
    return [
        "| program | measure | platform | floor (same shape, no-op resources) | ratio | target | |",
        "|---|---|---|---|---|---|---|",
        ...rows.map((r) => `| ${r.program} | ${r.measure} | ${r.platform} | ${r.floor} | ${r.ratio} | ${r.target} | ${verdict(r)} |`),
    ].join("\n");
}

async function main(): Promise<void> {
    console.log(`flow-nexus benchmark: ${os.cpus().length} cores, node ${process.version}; medians of ${RUNS} alternating pairs`);
    const appMs = await appStartMs();
    console.log(`the dev stack's app on its own (install and start, until /health answers): ${seconds(appMs)}`);
    const rows = [
        ...(await compare("dev stack (1 platform)", 1, appMs)),
        await plainPulumiUp(),
        ...(await compare(`${PLATFORMS} platforms`, PLATFORMS, appMs)),
    ];
    console.log(table(rows));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
