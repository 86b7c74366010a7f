/**
 * AutoRefill, the ledger and the refill run against the real embedded
 * Postgres, with the local payment processor.
 */
import { strict as assert } from "assert";
import { balance, credit, debit, INITIAL_CREDITS_REFERENCE, requireCredits } from "../../providers/billing/ledger";
import { recordSandboxUsage } from "../../providers/billing/metering";
import { history, usage } from "../../providers/billing/statements";
import { localProcessor, PaymentProcessor, setDeclineNext } from "../../providers/billing/processor";
import { runRefill } from "../../providers/billing/refill";
import { provider } from "../../providers/billing/resource";
import { withDatabase } from "../../providers/runtime/postgres";
import { asEngine, rejection, removeStackData, tempDataDir, testTags } from "../support";

const refills = asEngine(provider);

describe("providers: AutoRefill, the ledger and the refill run on the local backend", function () {
    let dataDir: string;
    const inputs = (account: string, extra: object = {}) => ({
        account,
        enabled: true,
        thresholdCredits: 50,
        refillAmountUsd: 10,
        monthlyLimitUsd: 100,
        initialCredits: 0,
        creditsPerSandboxHour: 1,
        backend: { kind: "local" as const, dataDir },
        tags: testTags("AutoRefill", account),
        ...extra,
    });
    const payments = (account: string) =>
        withDatabase(dataDir, async (c) =>
            (await c.query("select idempotency_key, usd_cents, credits::float8 as credits, status from flow_nexus.payments where account = $1 order by at, id", [account])).rows,
        );

    before(async function () {
        dataDir = await tempDataDir();
    });
    after(async function () {
        await removeStackData(dataDir);
    });

    it("create grants initialCredits once and reports the balance; create and update never charge", async function () {
        const { id, outs } = await refills.create(inputs("ada", { initialCredits: 500 }));
        assert.equal(id, "ada");
        assert.deepEqual([outs.status, outs.balance, outs.thresholdCredits, outs.monthlySpentUsd], ["enabled", 500, 50, 0]);
        assert.equal(await balance(dataDir, "ada"), 500);

        // Adopting after an interrupted run, and any update, grant nothing more.
        await refills.create(inputs("ada", { initialCredits: 500 }));
        const updated = await refills.update(id, outs, inputs("ada", { initialCredits: 900, thresholdCredits: 1000, enabled: false }));
        assert.deepEqual([updated.outs.status, updated.outs.balance, updated.outs.thresholdCredits], ["disabled", 500, 1000]);
        // Below the new threshold, and still no payment: only a refill run charges.
        const enabled = await refills.update(id, updated.outs, inputs("ada", { thresholdCredits: 1000 }));
        assert.equal(enabled.outs.balance, 500);
        assert.deepEqual(await payments("ada"), []);
        const { rows } = await withDatabase(dataDir, (c) => c.query("select kind, credits::float8 as credits, reference from flow_nexus.ledger_entries where account = 'ada'"));
        assert.deepEqual(rows, [{ kind: "credit", credits: 500, reference: INITIAL_CREDITS_REFERENCE }]);
    });

    it("create refuses an account whose policy another resource manages", async function () {
        await refills.create(inputs("shared"));
        const err = await rejection(() => refills.create({ ...inputs("shared"), tags: testTags("AutoRefill", "other") }));
        assert.match(err.message, /account shared already has an auto-refill policy, managed by urn:pulumi:test::flow-nexus-tests::pulumi-nodejs:dynamic\/flownexus:AutoRefill::shared/);
    });

    it("read shows the current balance and a policy changed out of band", async function () {
        const { id, outs } = await refills.create(inputs("grace", { initialCredits: 100 }));
        await debit(dataDir, "grace", 30, "job-1");
        await withDatabase(dataDir, (c) => c.query("update flow_nexus.refill_policies set threshold_credits = 20 where account = 'grace'"));
        const read = await refills.read(id, outs);
        assert.deepEqual([read.props.balance, read.props.thresholdCredits], [70, 20]);
    });

    it("a run below the threshold charges $10 once and credits 100 credits", async function () {
        await refills.create(inputs("bob", { initialCredits: 20 }));
        const now = new Date();
        const result = await runRefill(dataDir, "bob", { now });
        const month = now.toISOString().slice(0, 7);
        assert.equal(result.charged, true);
        assert.equal(result.balance, 120);
        assert.equal(result.reason, "balance 20 was below the threshold 50: charged $10.00 for 100 credits");
        assert.deepEqual({ ...result.payment, id: undefined }, {
            id: undefined,
            idempotencyKey: `refill:bob:${month}:1`,
            usdCents: 1000,
            credits: 100,
            status: "succeeded",
        });
        assert.deepEqual(await payments("bob"), [{ idempotency_key: `refill:bob:${month}:1`, usd_cents: 1000, credits: 100, status: "succeeded" }]);
        const { rows } = await withDatabase(dataDir, (c) =>
            c.query("select credits::float8 as credits, usd_cents, reference from flow_nexus.ledger_entries where account = 'bob' and kind = 'payment'"),
        );
        assert.deepEqual(rows, [{ credits: 100, usd_cents: 1000, reference: `refill:bob:${month}:1` }]);

        const again = await runRefill(dataDir, "bob");
        assert.deepEqual([again.charged, again.reason], [false, "balance 120 is at or above the threshold 50"]);
        assert.equal((await payments("bob")).length, 1);
    });

    it("two concurrent runs below the threshold make exactly one payment", async function () {
        await refills.create(inputs("carol"));
        // A slow processor keeps the first run inside its charge while the second starts.
        const local = localProcessor(dataDir);
        const slow: PaymentProcessor = { charge: async (req) => (await new Promise((r) => setTimeout(r, 300)), local.charge(req)) };
        const results = await Promise.all([runRefill(dataDir, "carol", { processor: slow }), runRefill(dataDir, "carol", { processor: slow })]);
        assert.deepEqual(results.map((r) => r.charged).sort(), [false, true]);
        assert.equal(results.find((r) => !r.charged)!.reason, "balance 100 is at or above the threshold 50");
        assert.equal((await payments("carol")).length, 1);
        assert.equal(await balance(dataDir, "carol"), 100);
    });

    it("a run past the monthly limit charges nothing and says why", async function () {
        const { outs } = await refills.create(inputs("dan", { monthlyLimitUsd: 20 }));
        assert.equal((await runRefill(dataDir, "dan")).charged, true);
        await debit(dataDir, "dan", 100, "work-1");
        assert.equal((await runRefill(dataDir, "dan")).charged, true);
        await debit(dataDir, "dan", 100, "work-2");
        const result = await runRefill(dataDir, "dan");
        assert.equal(result.charged, false);
        assert.match(result.reason, /^a refill of \$10\.00 would exceed the monthly limit of \$20\.00: \$20\.00 already spent in \d{4}-\d{2}$/);
        assert.deepEqual([result.balance, result.spentUsdCents], [0, 2000]);
        assert.equal((await payments("dan")).length, 2);
        const read = await refills.read("dan", outs);
        assert.equal(read.props.monthlySpentUsd, 20);
    });

    it("a declined payment is recorded and reported, and not retried until asked", async function () {
        await refills.create(inputs("eve"));
        await setDeclineNext(dataDir, "eve", "declined");
        const declined = await runRefill(dataDir, "eve");
        assert.equal(declined.charged, false);
        assert.equal(declined.payment?.status, "declined");
        assert.match(declined.reason, /^the refill of \$10\.00 was declined: the card was declined .*It is not retried automatically: update the payment method/);
        assert.equal(declined.balance, 0);

        // The next run, with nothing changed, reports the failure and charges nothing.
        const next = await runRefill(dataDir, "eve");
        assert.equal(next.charged, false);
        assert.match(next.reason, /^the last refill of \$10\.00 was declined: the card was declined .*not retried automatically/);
        assert.equal(next.payment?.idempotencyKey, declined.payment?.idempotencyKey);
        assert.deepEqual((await payments("eve")).map((p) => p.status), ["declined"]);

        const retried = await runRefill(dataDir, "eve", { retryFailed: true });
        assert.equal(retried.charged, true);
        assert.match(retried.payment!.idempotencyKey, /^refill:eve:\d{4}-\d{2}:1:attempt-2$/);
        assert.deepEqual((await payments("eve")).map((p) => p.status), ["declined", "succeeded"]);
        assert.equal(await balance(dataDir, "eve"), 100);
    });

    it("a payment that needs authentication is reported the same way", async function () {
        await refills.create(inputs("fay"));
        await setDeclineNext(dataDir, "fay", "authentication_required");
        const result = await runRefill(dataDir, "fay");
        assert.deepEqual([result.charged, result.payment?.status], [false, "authentication_required"]);
        assert.match(result.reason, /needs the customer's authentication/);
    });

    it("a processor failure records nothing; the next run charges with the same key", async function () {
        await refills.create(inputs("gus"));
        const broken: PaymentProcessor = { charge: async () => Promise.reject(new Error("connection reset")) };
        const err = await rejection(() => runRefill(dataDir, "gus", { processor: broken }));
        assert.match(err.message, /^the refill of account gus was not completed: the payment processor failed \(connection reset\)\. The next run charges with the same idempotency key \(refill:gus:\d{4}-\d{2}:1\)/);
        assert.deepEqual(await payments("gus"), []);
        const result = await runRefill(dataDir, "gus");
        assert.match(result.payment!.idempotencyKey, /^refill:gus:\d{4}-\d{2}:1$/);
    });

    it("the local processor charges an idempotency key once", async function () {
        const local = localProcessor(dataDir);
        const request = { account: "joe", usdCents: 1000, idempotencyKey: "refill:joe:2020-01:1" };
        const [first, second] = await Promise.all([local.charge(request), local.charge(request)]);
        assert.equal(first.id, second.id);
        assert.match(first.id, /^pay_local_[0-9a-f]{24}$/);
        assert.deepEqual(await payments("joe"), [{ idempotency_key: "refill:joe:2020-01:1", usd_cents: 1000, credits: 100, status: "succeeded" }]);
    });

    it("a succeeded payment left uncredited by an interrupted run is credited by the next run", async function () {
        await refills.create(inputs("hal", { initialCredits: 80 }));
        // The processor charged, then the run died before crediting.
        await localProcessor(dataDir).charge({ account: "hal", usdCents: 1000, idempotencyKey: "refill:hal:2020-01:1" });
        assert.equal(await balance(dataDir, "hal"), 80);
        const result = await runRefill(dataDir, "hal");
        assert.deepEqual([result.charged, result.balance], [false, 180]);
    });

    it("no policy or a disabled one charges nothing", async function () {
        assert.equal((await runRefill(dataDir, "nobody")).reason, "account nobody has no auto-refill policy");
        await refills.create(inputs("ivy", { enabled: false }));
        assert.equal((await runRefill(dataDir, "ivy")).reason, "auto-refill is disabled for account ivy");
        assert.deepEqual(await payments("ivy"), []);
    });

    it("requireCredits refuses to start anything at a zero balance, saying how to add credits", async function () {
        const err = await rejection(() => requireCredits(dataDir, "zero", "sandbox dev-sandbox", { stack: "dev" }));
        assert.equal(
            err.message,
            "no credits left on account zero: sandbox dev-sandbox was not started. " +
                "Add credits: flow-nexus billing refill --stack dev, or raise the balance with flow-nexus billing credit",
        );
        await credit(dataDir, "zero", 5, "support-grant");
        assert.equal(await requireCredits(dataDir, "zero", "sandbox dev-sandbox"), 5);
        await debit(dataDir, "zero", 5, "used");
        assert.match((await rejection(() => requireCredits(dataDir, "zero", "deployment app"))).message, /^no credits left on account zero: deployment app was not started/);
    });

    it("credit and debit with a reference already used change nothing", async function () {
        assert.equal(await credit(dataDir, "kim", 10, "grant-1"), true);
        assert.equal(await credit(dataDir, "kim", 10, "grant-1"), false);
        assert.equal(await debit(dataDir, "kim", 4, "job-1"), true);
        assert.equal(await debit(dataDir, "kim", 4, "job-1"), false);
        assert.equal(await balance(dataDir, "kim"), 6);
        assert.deepEqual((await history(dataDir, "kim")).map((h) => [h.record, h.record === "entry" ? h.kind : h.status]), [
            ["entry", "debit"],
            ["entry", "credit"],
        ]);
    });

    it("usage debits a sandbox's running time once, even when recorded twice", async function () {
        await credit(dataDir, "lee", 10, "grant");
        const start = new Date("2025-03-10T10:00:00Z");
        const hour = new Date("2025-03-10T11:00:00Z");
        const first = await recordSandboxUsage(dataDir, "lee", "sbx-1", start, hour, 2);
        assert.deepEqual(first, { credits: 2, from: start, until: hour, reference: "sandbox:sbx-1:2025-03-10T10:00:00.000Z/2025-03-10T11:00:00.000Z" });
        const twice = await Promise.all([
            recordSandboxUsage(dataDir, "lee", "sbx-1", start, hour, 2),
            recordSandboxUsage(dataDir, "lee", "sbx-1", start, hour, 2),
        ]);
        assert.deepEqual(twice.map((u) => u.credits), [0, 0]);
        assert.equal(await balance(dataDir, "lee"), 8);
        const later = await recordSandboxUsage(dataDir, "lee", "sbx-1", start, new Date("2025-03-10T11:30:00Z"), 2);
        assert.deepEqual([later.credits, later.from], [1, hour]);
        assert.equal(await balance(dataDir, "lee"), 7);
        const march = await usage(dataDir, "lee", "2025-03");
        assert.deepEqual([march.credits, march.debits.length], [3, 2]);
        assert.equal((await usage(dataDir, "lee", "2025-04")).credits, 0);
    });

    it("delete of a local ledger that records payments is refused, nothing deleted; with forceDestroy it removes the policy only", async function () {
        const { id, outs } = await refills.create(inputs("max", { initialCredits: 10 }));
        await runRefill(dataDir, "max");
        await assert.rejects(refills.delete(id, outs), /^DataKeptError: the ledger of account max holds 1 payment: nothing was deleted\. Set forceDestroy: true/);
        assert.equal((await refills.read(id, outs)).id, id, "the policy is still there");
        await refills.delete(id, { ...outs, forceDestroy: true });
        assert.deepEqual(await refills.read(id, outs), {});
        const { rows } = await withDatabase(dataDir, (c) => c.query("select count(*)::int as n from flow_nexus.refill_policies where account = 'max'"));
        assert.equal(rows[0].n, 0);
        assert.equal(await balance(dataDir, "max"), 110, "the other resources' leases keep the database, and the ledger is kept");
        assert.equal((await payments("max")).length, 1);
        assert.equal((await runRefill(dataDir, "max")).reason, "account max has no auto-refill policy");
        await refills.delete(id, { ...outs, forceDestroy: true });
    });
});
