/**
 * The policy pack on the real engine under the strict prod config: each
 * violating program is blocked at preview with the policy's name and
 * message, and a credential passed as a secret is told apart from one in
 * plain text (the engine shows secretness only in what it sends the pack).
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, TestStack } from "./harness";

const PROD = path.join(PROJECT_DIR, "policies", "config", "prod.json");

describe("policies: violating programs are blocked under prod.json on the real engine", function () {
    let stack: TestStack;
    let dataDir: string;

    before(async function () {
        dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-policy-"));
        stack = await TestStack.create("policy-cases", { config: { dataDir, case: "public-bucket" } });
    });
    after(async function () {
        await stack?.dispose();
        await fs.rm(dataDir, { recursive: true, force: true });
    });

    async function previewCase(name: string) {
        await stack.setConfig("case", name);
        return stack.tryRun(["preview", "--stack", stack.name, "--non-interactive", "--policy-pack", path.join(PROJECT_DIR, "policies"), "--policy-pack-config", PROD]);
    }

    const cases: Array<[string, string, RegExp]> = [
        ["public-bucket", "no-public-bucket", /bucket public-assets is public: set public: false/],
        ["plaintext-key", "credentials-are-secrets", /Sandbox sandbox: envs\.STRIPE_SECRET_KEY holds a credential in plain text/],
        ["no-health-check", "deployment-health-check", /Deployment app declares no health check: set healthPath/],
        ["no-monthly-limit", "auto-refill-limits", /AutoRefill refill has no monthly limit: set monthlyLimitUsd/],
    ];

    for (const [name, policy, message] of cases) {
        it(`${name}: blocked by ${policy}`, async function () {
            const result = await previewCase(name);
            assert.notEqual(result.code, 0);
            assert.match(result.output, new RegExp(`\\[mandatory\\]\\s+${policy}`));
            assert.match(result.output, message);

        });
    }

    it("the same key passed as a secret is not a violation", async function () {
        const result = await previewCase("secret-key");
        assert.doesNotMatch(result.output, /credentials-are-secrets/);
        assert.doesNotMatch(result.output, /sk_test_secret/, "the secret is never printed");
    });

    it("nothing was created along the way", async function () {
        assert.deepEqual(await fs.readdir(dataDir), []);
    });
});
