/**
 * The foundation on the real engine: a dynamic resource from providers/
 * through its whole life, and the policy pack passing and blocking.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, TestStack } from "./harness";

const POLICIES = path.join(PROJECT_DIR, "policies");

async function exists(file: string): Promise<boolean> {
    return fs.access(file).then(
        () => true,
        () => false,
    );
}

describe("engine: a dynamic resource on the real engine", function () {
    let stack: TestStack;
    let dataDir: string;

    before(async function () {
        dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-data-"));
        stack = await TestStack.create("bucket", { config: { name: "e2e-assets", dataDir } });
    });
    after(async function () {
        await stack?.dispose();
        await fs.rm(dataDir, { recursive: true, force: true });
    });

    it("up creates the bucket and its outputs read back", async function () {
        await stack.up();
        const outputs = await stack.outputs();
        assert.equal(outputs.bucketId, "e2e-assets");
        assert.equal(outputs.fileSizeLimit, 50 * 1024 * 1024, "the provider's default size limit");
        const bucketFolder = path.join(dataDir, "storage", "e2e-assets");
        assert.match(outputs.url, /^http:\/\/127\.0\.0\.1:\d+\/storage\/v1\/object\/e2e-assets$/, "served by the stack's gateway, as Supabase serves a bucket");
        const rules = JSON.parse(await fs.readFile(path.join(bucketFolder, "bucket.json"), "utf8"));
        assert.equal(rules.name, "e2e-assets");
        assert.match(rules.tags["flow-nexus:urn"], /::e2e-bucket::pulumi-nodejs:dynamic\/flownexus:StorageBucket::bucket$/);
    });

    it("records the resource under its own type token", async function () {
        const [bucket] = await stack.resources("StorageBucket");
        assert.ok(bucket, "a pulumi-nodejs:dynamic/flownexus:StorageBucket in the state");
        assert.equal(bucket.id, "e2e-assets");
    });

    it("a second preview and up report no changes", async function () {
        await stack.preview("--expect-no-changes");
        const { output } = await stack.up("--expect-no-changes");
        assert.match(output, /2 unchanged/);
    });

    it("refresh finds no drift", async function () {
        await stack.refresh("--expect-no-changes");
    });

    it("renaming a bucket that holds objects stops at preview, before a new bucket is made", async function () {
        const objects = path.join(dataDir, "storage", "e2e-assets", "objects");
        await fs.writeFile(path.join(objects, "kept.txt"), "mine");
        await stack.setConfig("name", "e2e-renamed");
        try {
            const preview = await stack.tryRun(["preview", "--stack", stack.name, "--non-interactive"]);
            assert.notEqual(preview.code, 0);
            assert.match(preview.output, /renaming bucket e2e-assets to e2e-renamed would delete bucket e2e-assets, which holds 1 object: nothing was changed/);
            assert.equal(await exists(path.join(dataDir, "storage", "e2e-renamed")), false);
        } finally {
            await stack.setConfig("name", "e2e-assets");
            await fs.rm(path.join(objects, "kept.txt"));
        }
    });

    it("destroy removes the bucket's folder", async function () {
        await stack.destroy();
        assert.equal(await exists(path.join(dataDir, "storage", "e2e-assets")), false);
        assert.deepEqual(await stack.resources("StorageBucket"), []);
    });
});

describe("engine: a stack outlives a move of its provider's files", function () {
    let copy: string;
    let dataDir: string;
    let stack: TestStack;

    before(async function () {
        // A checkout of our own to move files in: the project's tracked files, and its installed packages.
        copy = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-checkout-"));
        const files = execFileSync("git", ["ls-files", "-z"], { cwd: PROJECT_DIR, encoding: "utf8" }).split("\0").filter(Boolean);
        for (const file of files) {
            await fs.mkdir(path.dirname(path.join(copy, file)), { recursive: true });
            await fs.copyFile(path.join(PROJECT_DIR, file), path.join(copy, file));
        }
        await fs.symlink(path.join(PROJECT_DIR, "node_modules"), path.join(copy, "node_modules"));
        dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-data-"));
        stack = await TestStack.create(path.join(copy, "test", "e2e", "programs", "bucket"), { config: { name: "moved-assets", dataDir } });
    });
    after(async function () {
        await stack?.dispose();
        await fs.rm(copy, { recursive: true, force: true });
        await fs.rm(dataDir, { recursive: true, force: true });
    });

    it("up, then the bucket's provider moves to another file: refresh and destroy run it from there", async function () {
        await stack.up();
        const [bucket] = await stack.resources("StorageBucket");
        assert.doesNotMatch(JSON.stringify(bucket.inputs.__provider), /storage\/resource/, "the state names no provider file");

        const storage = path.join(copy, "providers", "storage");
        await fs.rename(path.join(storage, "resource.ts"), path.join(storage, "bucket.ts"));
        const registry = path.join(copy, "providers", "registry.ts");
        const table = await fs.readFile(registry, "utf8");
        await fs.writeFile(registry, table.replace('require("./storage/resource")', 'require("./storage/bucket")'));

        await stack.refresh("--expect-no-changes");
        await stack.destroy();
        assert.equal(await exists(path.join(dataDir, "storage", "moved-assets")), false, "the moved provider deleted the bucket");
        assert.deepEqual(await stack.resources("StorageBucket"), []);
    });
});

describe("engine: the policy pack on the real engine", function () {
    let dataDir: string;
    const stacks: TestStack[] = [];

    before(async function () {
        dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-data-"));
    });
    after(async function () {
        for (const stack of stacks) await stack.dispose();
        await fs.rm(dataDir, { recursive: true, force: true });
    });

    async function bucketStack(config: Record<string, string>): Promise<TestStack> {
        const stack = await TestStack.create("bucket", { config: { dataDir, ...config } });
        stacks.push(stack);
        return stack;
    }

    it("a program that satisfies the pack previews cleanly", async function () {
        const stack = await bucketStack({ name: "private-assets" });
        // A lone bucket is no platform: the phase gates are not this program's to pass.
        const config = path.join(dataDir, "no-gates.json");
        await fs.writeFile(config, JSON.stringify(Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`phase-${n}-gate`, "disabled"]))));
        const { output } = await stack.preview("--policy-pack", POLICIES, "--policy-pack-config", config);
        assert.match(output, /Policy Packs run:[\s\S]*flow-nexus\S*\s+0\.1\.0/);
        assert.doesNotMatch(output, /mandatory/);
    });

    it("a public bucket is blocked with the policy's message, and nothing is created", async function () {
        const stack = await bucketStack({ name: "leaky-assets", public: "true" });
        const result = await stack.tryRun(["up", "--stack", stack.name, "--non-interactive", "--yes", "--policy-pack", POLICIES]);
        assert.notEqual(result.code, 0);
        assert.match(result.output, /\[mandatory\]\s+no-public-bucket/);
        assert.match(result.output, /bucket leaky-assets is public: set public: false/);
        assert.equal(await exists(path.join(dataDir, "storage", "leaky-assets")), false);
    });
});
