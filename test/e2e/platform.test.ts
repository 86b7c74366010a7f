/**
 * The dev stack's program (phases 1 and 2) on the real engine, on local
 * backends: what `npm run up` does, then the edits, drift and clean-up a
 * user meets.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as path from "path";
import { readSandbox } from "../../providers/sandbox/record";
import { isListening } from "../../providers/runtime/ports";
import { isAlive, processesWithEnv } from "../../providers/runtime/process";
import { taskHost } from "../../providers/runtime/task-host";
import { BucketClient } from "../../providers/storage";
import { exists } from "../support";
import { PROJECT_DIR, TestStack } from "./harness";

const PASSWORD = "e2e-password-for-tests";

/** The stack's data folder, where the program puts it. */
function dataDirOf(stack: TestStack): string {
    return path.join(PROJECT_DIR, ".flow-nexus", "stacks", stack.name);
}

describe("platform: phases 1 and 2 of the dev stack on the real engine", function () {
    let stack: TestStack;
    let dataDir: string;
    let outputs: Record<string, any>;

    before(async function () {
        stack = await TestStack.create(PROJECT_DIR, {
            secrets: { "flow-nexus:password": PASSWORD },
            config: { "flow-nexus:sandbox.ports": "1" },
        });
        dataDir = dataDirOf(stack);
    });
    after(async function () {
        await stack?.dispose();
    });

    it("up creates every resource, with every output and both phases complete", async function () {
        await stack.up();
        outputs = await stack.outputs();
        assert.match(outputs.userId, /^[0-9a-f-]{36}$/);
        assert.equal(outputs.userProfile.email, "dev@flow-nexus.local");
        assert.equal(outputs.userProfile.id, outputs.userId);
        assert.equal(outputs.platformSettings.stack, stack.name);
        assert.match(outputs.sandboxId, /^sbx-[0-9a-f]{12}$/);
        assert.match(outputs.subscriptionId, /^sub-[0-9a-f]{12}$/);
        assert.deepEqual(outputs.schema.applied, ["001_init", "002_usage", "003_notes"]);
        assert.equal(outputs.bucket.id, "platform-assets");
        assert.equal(outputs.phase1Complete, true);
        assert.equal(outputs.phase2Complete, true);
        assert.deepEqual(
            {
                userId: outputs.memory["flow-nexus/user-id"],
                sandboxId: outputs.memory["flow-nexus/sandbox-id"],
                subscriptionId: outputs.memory["flow-nexus/subscription-id"],
                phase1: outputs.memory["flow-nexus/phase1-complete"],
                phase2: outputs.memory["flow-nexus/phase2-complete"],
            },
            { userId: outputs.userId, sandboxId: outputs.sandboxId, subscriptionId: outputs.subscriptionId, phase1: true, phase2: true },
        );
        const sandbox = await readSandbox(dataDir, outputs.sandboxId);
        assert.equal(sandbox?.status, "running");
    });

    it("keeps the password out of the state and the outputs in plain text", async function () {
        const state = JSON.stringify(await stack.exportState());
        assert.equal(state.includes(PASSWORD), false);
        assert.equal(JSON.stringify(outputs).includes(PASSWORD), false);
    });

    it("a second up reports no changes", async function () {
        await stack.preview("--expect-no-changes");
        await stack.up("--expect-no-changes");
    });

    it("a new bucket size limit updates the bucket in place", async function () {
        await stack.setConfig("flow-nexus:storage.fileSizeLimit", "1048576");
        const { output } = await stack.preview();
        assert.match(output, /~ pulumi-nodejs:dynamic\/flownexus:StorageBucket: \(update\)/);
        assert.match(output, /~ fileSizeLimit\s*: 52428800 => 1048576/);
        await stack.up();
        const bucket = await BucketClient.open(dataDir, "platform-assets");
        assert.equal(bucket.rules.fileSizeLimit, 1048576);
        assert.equal((await stack.outputs()).bucket.id, "platform-assets");
    });

    it("a new sandbox template replaces the sandbox", async function () {
        await stack.setConfig("flow-nexus:sandbox.template", "python");
        const { output } = await stack.preview();
        assert.match(output, /\+-\s*pulumi-nodejs:dynamic\/flownexus:Sandbox: \(replace\)/);
        await stack.up();
        const after = await stack.outputs();
        assert.notEqual(after.sandboxId, outputs.sandboxId);
        assert.equal((await readSandbox(dataDir, after.sandboxId))?.template, "python");
        assert.equal(await readSandbox(dataDir, outputs.sandboxId), undefined, "the old sandbox is gone");
        assert.equal(taskHost(dataDir, "supervisor", outputs.sandboxId), undefined, "and nothing supervises it");
        assert.ok(taskHost(dataDir, "supervisor", after.sandboxId), "the new one is supervised");
        outputs = after;
    });

    it("a sandbox killed by hand: refresh sees it stopped, and the next up starts it again in place", async function () {
        const sandbox = await readSandbox(dataDir, outputs.sandboxId);
        process.kill(sandbox!.supervisor!.pid, "SIGKILL");
        const { output } = await stack.refresh();
        assert.match(output, /~\s+pulumi-nodejs:dynamic\/flownexus:Sandbox \S+ updated/);
        assert.equal((await stack.resources("Sandbox"))[0].outputs.status, "stopped", "the state says it is down");
        await stack.up();
        const after = await stack.outputs();
        assert.equal(after.sandboxId, outputs.sandboxId);
        assert.equal((await readSandbox(dataDir, after.sandboxId))?.status, "running");
        assert.equal(after.phase2Complete, true);
        outputs = after;
    });

    it("a sandbox deleted by hand: refresh sees it gone, and the next up recreates it", async function () {
        const sandbox = await readSandbox(dataDir, outputs.sandboxId);
        process.kill(sandbox!.supervisor!.pid, "SIGKILL");
        await fs.rm(path.join(dataDir, "sandboxes", outputs.sandboxId), { recursive: true, force: true });
        const { output } = await stack.refresh();
        assert.match(output, /-\s+pulumi-nodejs:dynamic\/flownexus:Sandbox \S+ deleted/);
        await stack.up();
        const after = await stack.outputs();
        assert.notEqual(after.sandboxId, outputs.sandboxId);
        assert.equal((await readSandbox(dataDir, after.sandboxId))?.status, "running");
        assert.equal(after.phase2Complete, true);
        outputs = after;
    });

    it("a bucket that holds objects stops destroy with a clear message, and loses nothing", async function () {
        const bucket = await BucketClient.open(dataDir, "platform-assets");
        await bucket.upload("reports/q3.txt", "keep me", "text/plain");
        const result = await stack.tryRun(["destroy", "--stack", stack.name, "--non-interactive", "--yes", "--skip-preview"]);
        assert.notEqual(result.code, 0);
        assert.match(result.output, /nothing was deleted:\n\s+- bucket platform-assets holds 1 object \(StorageBucket \S+, flow-nexus:storage\.forceDestroy\)/);
        assert.deepEqual(await bucket.list(), ["reports/q3.txt"]);
        assert.equal((await bucket.download("reports/q3.txt")).data.toString(), "keep me");
        // Nothing else went either: the platform is as it was.
        await stack.preview("--expect-no-changes");
        outputs = await stack.outputs();
        assert.equal(outputs.phase2Complete, true);
    });

    it("with forceDestroy, destroy leaves no process, listening port or data folder behind", async function () {
        await stack.setConfig("flow-nexus:storage.forceDestroy", "true");
        await stack.up();
        const sandbox = await readSandbox(dataDir, outputs.sandboxId);
        const postgres = JSON.parse(await fs.readFile(path.join(dataDir, "postgres", "instance.json"), "utf8"));
        await stack.destroy();
        assert.equal(await exists(dataDir), false, `${dataDir} is removed`);
        assert.equal(isAlive(sandbox!.supervisor!), false);
        assert.deepEqual(processesWithEnv("FLOW_NEXUS_SANDBOX_ID", outputs.sandboxId), []);
        for (const port of [...sandbox!.ports, postgres.port]) assert.equal(await isListening(port), false, `port ${port}`);
        assert.deepEqual((await stack.exportState()).deployment.resources ?? [], []);
    });
});

describe("platform: invalid config fails at preview, naming the key, and creates nothing", function () {
    let stack: TestStack;

    before(async function () {
        stack = await TestStack.create(PROJECT_DIR, { secrets: { "flow-nexus:password": PASSWORD } });
    });
    after(async function () {
        await stack?.dispose();
    });

    const cases: Array<[string, string, string, RegExp]> = [
        ["a negative timeout", "flow-nexus:sandbox.timeoutSeconds", "-5", /flow-nexus:sandbox\.timeoutSeconds must be a whole number from 60 to 86400 seconds \(got -5\)/],
        ["a too-long timeout", "flow-nexus:sandbox.timeoutSeconds", "90000", /flow-nexus:sandbox\.timeoutSeconds must be a whole number from 60 to 86400 seconds \(got 90000\)/],
        ["an unknown template", "flow-nexus:sandbox.template", "cobol", /flow-nexus:sandbox\.template must be one of node, python, react, nextjs, vanilla, base, claude-code \(got "cobol"\)/],
        ["a malformed email", "flow-nexus:user.email", "not-an-email", /flow-nexus:user\.email must be an email address/],
        ["a bucket name Supabase refuses", "flow-nexus:storage.bucket", "Bad_Bucket!", /flow-nexus:storage\.bucket must be 3 to 63 lowercase letters, digits, dots, hyphens or underscores/],
        ["an empty migration", "flow-nexus:database.migrations[0].sql", " ", /flow-nexus:database\.migrations\[0\]\.sql must not be empty/],
        ["a typo in a setting", "flow-nexus:sandbox.tiemoutSeconds", "600", /flow-nexus:sandbox\.tiemoutSeconds is not a setting \(did you mean timeoutSeconds\?\)/],
        ["a typo in a section", "flow-nexus:databse.schema", "app", /flow-nexus:databse is not a setting \(did you mean database\?\)/],
        ["a section given as a string", "flow-nexus:storage", "platform-assets", /flow-nexus:storage must be an object with the settings bucket, public, fileSizeLimit, allowedMimeTypes, forceDestroy \(got a string\)/],
        // Last: it takes the password away.
        ["a too-short password", "flow-nexus:password", "short", /flow-nexus:password must be 12 to 72 characters$/m],
    ];

    for (const [what, key, value, message] of cases) {
        it(`${what} (${key})`, async function () {
            if (key.includes("migrations")) await stack.setConfig("flow-nexus:database.migrations[0].id", "001_empty");
            await stack.setConfig(key, value);
            try {
                const preview = await stack.tryRun(["preview", "--stack", stack.name, "--non-interactive"]);
                assert.notEqual(preview.code, 0);
                assert.match(preview.output, message);
                const up = await stack.tryRun(["up", "--stack", stack.name, "--non-interactive", "--yes", "--skip-preview"]);
                assert.notEqual(up.code, 0);
                const created = ((await stack.exportState()).deployment.resources ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack");
                assert.deepEqual(created, [], "nothing was created");
                assert.equal(await exists(dataDirOf(stack)), false, "no data folder either");
            } finally {
                await stack.removeConfig(key.startsWith("flow-nexus:database") ? "flow-nexus:database" : key.startsWith("flow-nexus:databse") ? "flow-nexus:databse" : key);
            }
        });
    }
});
