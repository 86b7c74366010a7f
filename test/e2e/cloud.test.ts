/**
 * The cloud backends' configuration on the real engine: the example prod
 * stack previews with fake credentials and calls no service, and no
 * credential reaches the state or the engine's output in plain text.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as path from "path";
import { load } from "js-yaml";
import { PROJECT_DIR, TestStack } from "./harness";

/** Recognisable fake credentials: a canary found anywhere is a leak. */
const CANARIES = {
    "flow-nexus:e2bApiKey": "e2b_canary_0a1b2c3d4e5f",
    "flow-nexus:supabaseServiceRoleKey": "supabase-canary-service-role-5f4e3d",
    "flow-nexus:databaseUrl": "postgresql://postgres:pg-canary-pass-9z8y@db.canary.invalid:5432/postgres",
    "flow-nexus:stripeSecretKey": "sk_test_canary_7c6b5a",
    "flow-nexus:password": "password-canary-3x2y1z",
};

function assertNoCanary(text: string, where: string): void {
    for (const [key, value] of Object.entries(CANARIES)) {
        const needle = key === "flow-nexus:databaseUrl" ? "pg-canary-pass-9z8y" : value;
        assert.equal(text.includes(needle), false, `${key} appears in plain text in ${where}`);
    }
}

/** The example's non-secret config, flattened into `pulumi config set --path` keys. */
function flatten(value: unknown, prefix: string, into: Record<string, string> = {}): Record<string, string> {
    if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, into));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) flatten(v, `${prefix}.${k}`, into);
    else into[prefix] = String(value);
    return into;
}

describe("cloud: configuration and credentials on the real engine", function () {
    it("the example prod stack previews with fake credentials, showing its resources and calling no service", async function () {
        const example = load(await fs.readFile(path.join(PROJECT_DIR, "Pulumi.prod.example.yaml"), "utf8")) as { config: Record<string, unknown> };
        const config: Record<string, string> = {};
        for (const [key, value] of Object.entries(example.config)) Object.assign(config, typeof value === "object" ? flatten(value, key) : { [key]: String(value) });
        const stack = await TestStack.create(PROJECT_DIR, { config, secrets: CANARIES });
        try {
            const started = Date.now();
            const policies = path.join(PROJECT_DIR, "policies");
            const result = await stack.preview("--policy-pack", policies, "--policy-pack-config", path.join(policies, "config", "prod.json"));
            // The stack, six components and the nine flow-nexus resources (the DataGuard among them).
            assert.match(result.output, /\+ 16 to create/);
            // The example passes its own policy pack, as a pull request would run it.
            assert.match(result.output, /flow-nexus@v0\.1\.0/, "the pack ran");
            assert.doesNotMatch(result.output, /\[mandatory\]/);
            for (const type of ["PlatformUser", "Sandbox", "StorageBucket", "DatabaseSchema", "RealtimeSubscription", "Deployment", "Monitor", "AutoRefill"]) {
                assert.match(result.output, new RegExp(`\\+ pulumi-nodejs:dynamic/flownexus:${type}: \\(create\\)`), type);
            }
            assert.match(result.output, /backends\s*: \{\s*auth\s*: "cloud"/);
            assertNoCanary(result.output, "the preview's output");
            // The fake hosts do not exist: a preview that called a service would have failed.
            assert.ok(Date.now() - started < 60_000);
            assert.equal(await fs.stat(path.join(PROJECT_DIR, ".flow-nexus", "stacks", stack.name)).catch(() => undefined), undefined, "no local data either");
        } finally {
            await stack.dispose();
        }
    });

    it("credentials set on a stack never reach its state or the engine's output in plain text", async function () {
        // Local backends, so the stack really runs; the credentials are configured all the same.
        const stack = await TestStack.create(PROJECT_DIR, { secrets: CANARIES });
        try {
            const outputs = [await stack.up(), await stack.refresh(), await stack.up("--expect-no-changes")].map((r) => r.output);
            for (const output of outputs) assertNoCanary(output, "the engine's output");
            const exported = JSON.stringify(await stack.exportState());
            assertNoCanary(exported, "pulumi stack export");
            assert.match(exported, /"secure"|"ciphertext"/, "the password is in state, encrypted");
            const state = await fs.readFile(path.join(stack.workDir, "state", ".pulumi", "stacks", "flow-nexus", `${stack.name}.json`), "utf8");
            assertNoCanary(state, "the state file");
        } finally {
            await stack.dispose();
        }
    });
});
