/**
 * The GitHub workflows, run here as far as they can be: each shell step
 * with the job's own environment (its expressions replaced by a throwaway
 * file backend and passphrase), and the preview that pulumi/actions runs,
 * as the command line its inputs make. What only GitHub has (the action's
 * download of the CLI, the pull-request comment) is left to GitHub;
 * actionlint (in .ci/run) checks the rest of the files.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import { existsSync, promises as fs } from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, engineBinDir } from "./harness";

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, string | boolean>;
    env?: Record<string, string>;
}
interface Workflow {
    jobs: Record<string, { env?: Record<string, string>; steps: Step[] }>;
}

const WORKFLOWS = path.join(PROJECT_DIR, ".github", "workflows");

async function workflow(file: string): Promise<Workflow> {
    return yaml.load(await fs.readFile(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}

/** The job's env with every `${{ … }}` value replaced by `local` (a value GitHub would fill in). */
function jobEnv(env: Record<string, string> = {}, local: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env)) {
        if (String(value).includes("${{")) {
            assert.ok(key in local, `the test knows what GitHub would put in ${key}`);
            out[key] = local[key];
        } else out[key] = String(value);
    }
    return { ...out, ...local };
}

/** Runs a step's shell script as the runner does (bash -e), in the checkout. */
function runStep(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
    assert.doesNotMatch(script, /\$\{\{/, "a script reads its inputs from env, never from expressions (no injection)");
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd: PROJECT_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (c: Buffer) => (output += c));
        child.stderr.on("data", (c: Buffer) => (output += c));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, output }));
    });
}

const step = (wf: Workflow, name: string) => {
    const found = Object.values(wf.jobs)[0].steps.find((s) => s.name === name);
    assert.ok(found, `a step named ${name}`);
    return found;
};

/** engine/go.mod's pinned CLI version, which the workflows install. */
async function pinnedCli(): Promise<string> {
    const gomod = await fs.readFile(path.join(PROJECT_DIR, "engine", "go.mod"), "utf8");
    return /github\.com\/pulumi\/pulumi\/pkg\/v3 v(\d+\.\d+\.\d+)/.exec(gomod)![1];
}

describe("the GitHub workflows, run locally against a file backend", function () {
    let scratch: string;
    let env: NodeJS.ProcessEnv;
    const stack = `review-pr-${process.pid}`;

    before(async function () {
        scratch = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-workflows-"));
        await fs.mkdir(path.join(scratch, "state"));
        const preview = await workflow("preview.yml");
        env = {
            ...process.env,
            PATH: `${engineBinDir()}${path.delimiter}${process.env.PATH}`,
            PULUMI_HOME: path.join(scratch, "home"),
            ...jobEnv(preview.jobs.preview.env, {
                STACK: stack,
                PULUMI_BACKEND_URL: `file://${path.join(scratch, "state")}`,
                PULUMI_CONFIG_PASSPHRASE: "workflow-test-passphrase",
            }),
        };
    });
    after(async function () {
        await fs.rm(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), { force: true });
        if (scratch) await fs.rm(scratch, { recursive: true, force: true });
    });

    it("both use pulumi/actions pinned to a commit, installing the CLI version engine/go.mod pins", async function () {
        for (const file of ["preview.yml", "cleanup.yml"]) {
            const uses = Object.values((await workflow(file)).jobs).flatMap((job) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@")));
            assert.ok(uses.length >= 1, `${file} uses pulumi/actions`);
            for (const s of uses) assert.match(s.uses!, /^pulumi\/actions@[0-9a-f]{40}$/, `${file}: pinned to a commit`);
            const installs = uses.filter((s) => s.with?.["pulumi-version"] !== undefined);
            assert.deepEqual(installs.map((s) => String(s.with!["pulumi-version"])), [await pinnedCli()], `${file} installs the pinned CLI once`);
            assert.equal(Object.values((await workflow(file)).jobs).flatMap((job) => job.steps).filter((s) => s.uses?.startsWith("actions/setup-go")).length, 0, `${file} builds no engine`);
        }
    });

    it("preview: the review-stack step makes the stack from the dev settings, with its own secret and no dev passphrase", async function () {
        const wf = await workflow("preview.yml");
        const made = step(wf, "Review stack");
        const run = await runStep(made.run!, { ...env, ...jobEnv(made.env, { REVIEW_STACK_PASSWORD: "" }) });
        assert.equal(run.code, 0, run.output);
        const file = await fs.readFile(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
        assert.doesNotMatch(file, /encryptionsalt: v1:cJdZc/, "not the dev stack's salt");
        assert.match(file, /flow-nexus:password:\n\s+secure: /, "a password of its own, encrypted");
        assert.match(file, /flow-nexus:sandbox:\n\s+template: node/, "the dev stack's settings");
        // Run again (the next push): the same stack, selected, not made twice.
        assert.equal((await runStep(made.run!, { ...env, REVIEW_STACK_PASSWORD: "another-review-password" })).code, 0);
    });

    it("preview: the action's command line (policy pack at prod settings) passes on the dev settings", async function () {
        const wf = await workflow("preview.yml");
        const action = step(wf, "pulumi preview with the policy pack (prod settings)");
        const w = action.with!;
        assert.equal(w.command, "preview");
        assert.deepEqual([w["comment-on-pr"], w["edit-pr-comment"]], [true, true], "one comment, edited on every push");
        for (const file of [String(w.policyPacks), String(w.policyPackConfigs)]) assert.ok(existsSync(path.join(PROJECT_DIR, file)), `${file} exists`);
        // What pulumi/actions runs for these inputs.
        const args = ["preview", "--stack", stack, "--non-interactive", "--diff", "--color", String(w.color), "--policy-pack", String(w.policyPacks), "--policy-pack-config", String(w.policyPackConfigs)];
        const run = await runStep(`pulumi ${args.join(" ")}`, env);
        assert.equal(run.code, 0, run.output);
        assert.match(run.output, /Policy Packs run:\s+Name\s+Version\s+\S*policies\s+0\.1\.0/, "the pack ran");
        assert.doesNotMatch(run.output, /mandatory/i, "no mandatory violation on the dev settings");
    });

    it("cleanup: the prune step runs against the backend, and keeps a fresh review stack", async function () {
        const wf = await workflow("cleanup.yml");
        const prune = step(wf, "flow-nexus stacks prune");
        const run = await runStep(prune.run!, { ...env, ...jobEnv(wf.jobs.prune.env, { ...pick(env, "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"), MAX_AGE: "7d", DRY_RUN: "--dry-run" }) });
        assert.equal(run.code, 0, run.output);
        assert.match(run.output, new RegExp(`^${stack}\\s.*kept: (updated recently|no last update recorded)$`, "m"));
    });
});

function pick(env: NodeJS.ProcessEnv, ...keys: string[]): Record<string, string> {
    return Object.fromEntries(keys.map((k) => [k, env[k]!]));
}
