/**
 * Billing reaches the resources that cost money: a billed sandbox or
 * deployment does not start without credits, and a sandbox's running time is
 * charged, once, at the account's rate.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as path from "path";
import { balance, credit } from "../../providers/billing/ledger";
import { history } from "../../providers/billing/statements";
import { provider as deploymentProvider } from "../../providers/deployment/resource";
import { meterUsage } from "../../providers/sandbox/metering";
import { readRecord, sandboxDir } from "../../providers/sandbox/record";
import { provider as sandboxProvider } from "../../providers/sandbox/resource";
import { asEngine, exists, rejection, removeStackData, tempDataDir, testTags } from "../support";

const sandboxes = asEngine(sandboxProvider);
const deployments = asEngine(deploymentProvider);

describe("providers: billing of sandboxes and deployments (local)", function () {
    let dataDir: string;
    const live: Array<{ sandboxId: string }> = [];

    async function sandboxInputs(account: string) {
        const news = {
            template: "node",
            ports: 1,
            billing: { account, creditsPerHour: 1000 },
            backend: { kind: "local", dataDir },
            tags: testTags("Sandbox", `billed-${account}`),
        };
        const { inputs, failures } = await sandboxes.check({}, news);
        assert.deepEqual(failures, []);
        return inputs;
    }

    before(async function () {
        dataDir = await tempDataDir();
    });
    after(async function () {
        for (const s of live) await sandboxes.delete(s.sandboxId, s);
        await removeStackData(dataDir);
    });

    it("a billed sandbox on an empty account fails before anything starts, saying how to add credits", async function () {
        const inputs = await sandboxInputs("broke");
        const err = await rejection(() => sandboxes.create(inputs));
        assert.match(err.message, /^no credits left on account broke: sandbox sbx-[0-9a-f]{12} \(node\) was not started\. Add credits: flow-nexus billing refill --stack flow-nexus-test-\w+/);
        assert.equal(await exists(path.join(dataDir, "sandboxes")) && (await fs.readdir(path.join(dataDir, "sandboxes"))).length > 0, false);
    });

    it("with credits it starts, and its running time is charged once per period", async function () {
        await credit(dataDir, "acct", 100, "test:grant");
        const { outs } = await sandboxes.create(await sandboxInputs("acct"));
        live.push(outs);
        const record = (await readRecord(sandboxDir(dataDir, outs.sandboxId)))!;
        assert.deepEqual(record.billing, { account: "acct", creditsPerHour: 1000 });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await meterUsage(dataDir, record);
        const after = await balance(dataDir, "acct");
        assert.ok(after < 100 && after > 99, `1000 credits an hour for about 1.5 s were charged (balance ${after})`);
        await meterUsage(dataDir, record);
        const debits = (await history(dataDir, "acct")).filter((h) => h.record === "entry" && h.kind === "debit");
        assert.ok(debits.length >= 1);
        assert.ok((await balance(dataDir, "acct")) <= after, "metering again charges only the time since");
    });

    it("a billed deployment on an empty account fails before the app starts", async function () {
        const sandbox = live[0] as { sandboxId: string; allocatedPorts: number[] };
        const news = {
            sandboxId: sandbox.sandboxId,
            source: { template: "node-http" },
            port: sandbox.allocatedPorts[0],
            healthPath: "/health",
            billing: { account: "broke", creditsPerHour: 0 },
            backend: { kind: "local", dataDir },
            tags: testTags("Deployment", "billed-app"),
        };
        const { inputs } = await deployments.check({}, news);
        const err = await rejection(() => deployments.create(inputs));
        assert.match(err.message, /^no credits left on account broke: deployment dep-[0-9a-f]{12} in sandbox sbx-[0-9a-f]{12} was not started/);
    });
});
