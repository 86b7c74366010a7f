/**
 * Contract: the Stripe backend (AutoRefill's customer and saved payment
 * method, the refill run's off-session PaymentIntents, the payment history)
 * against the real `stripe` SDK, its fetch answered by an in-memory Stripe
 * (./fake-stripe). The ledger lives in the cloud database.
 */
import { strict as assert } from "assert";
import { balance, monthOf } from "../../providers/billing/ledger";
import { history } from "../../providers/billing/statements";
import { refillIdempotencyKey, runRefill } from "../../providers/billing/refill";
import { Inputs, Outputs, provider } from "../../providers/billing/resource";
import { startPaymentMethodSetup } from "../../providers/billing/stripe";
import { setTransport } from "../../providers/runtime/clients";
import { setCredentials } from "../../providers/runtime/credentials";
import { withDatabase } from "../../providers/runtime/postgres";
import { rejection } from "../support";
import { FakeStripe, stripeError } from "./fake-stripe";
import { checked, CLOUD, cloudDatabase, engine, FAKE_CREDENTIALS, restoreTransport, stackConfig, tagsOf } from "./support";

describe("contract: Stripe", function () {
    this.timeout(60_000);
    const refills = engine<Inputs, Outputs>(provider);
    const stripe = new FakeStripe();
    let db: Awaited<ReturnType<typeof cloudDatabase>>;
    let accounts = 0;

    const inputs = (overrides: Partial<Inputs> = {}) =>
        checked(refills, {
            account: `acct-${++accounts}`,
            thresholdCredits: 100,
            refillAmountUsd: 10,
            monthlyLimitUsd: 50,
            backend: CLOUD,
            tags: tagsOf("AutoRefill", `refill${accounts}`),
            ...overrides,
        } as Inputs);

    /** An AutoRefill on the cloud backend, its customer holding a saved card. */
    async function withCard(overrides: Partial<Inputs> = {}): Promise<Outputs> {
        const outs = (await refills.create(await inputs(overrides))).outs!;
        stripe.saveCard(outs.customerId!);
        return outs;
    }

    before(async function () {
        db = await cloudDatabase();
        setTransport({ fetch: stripe.http.fetch });
        await refills.configure(stackConfig({ ...FAKE_CREDENTIALS, databaseUrl: db.url }));
    });

    after(async function () {
        restoreTransport();
        setCredentials({});
        await db?.stop();
    });

    afterEach(function () {
        assert.deepEqual(stripe.http.unmatched.map((r) => `${r.method} ${r.url.pathname}`), []);
        stripe.http.clearRecords();
    });

    it("creates the account's customer, tagged in its metadata under a deterministic idempotency key, without charging", async function () {
        const outs = (await refills.create(await inputs())).outs!;
        const [call] = stripe.calls("POST", /^\/v1\/customers$/);
        assert.equal(call.headers.get("authorization"), `Bearer ${FAKE_CREDENTIALS.stripeSecretKey}`);
        assert.match(call.headers.get("idempotency-key")!, /^flow-nexus:customer:[0-9a-f]{64}$/);
        assert.equal(call.form().get("metadata[flow-nexus:account]"), outs.account);
        assert.equal(call.form().get("metadata[flow-nexus:urn]"), outs.tags["flow-nexus:urn"]);
        assert.equal(outs.customerId, "cus_1");
        assert.equal(outs.paymentMethodReady, false);
        assert.equal(stripe.calls("POST", /^\/v1\/payment_intents$/).length, 0, "create never charges");
        assert.equal(stripe.calls("GET", /^\/v1\/customers\/cus_1$/).length, 1, "the customer is read back once per create");
    });

    it("adopts the customer an interrupted run made (found by its metadata), instead of creating a second one", async function () {
        const first = (await refills.create(await inputs())).outs!;
        await withDatabase(CLOUD, (c) => c.query("delete from flow_nexus.stripe_customers where account = $1", [first.account]));
        await refills.delete(first.account, first);
        const again = (await refills.create(await inputs({ account: first.account, tags: first.tags }))).outs!;
        assert.equal(again.customerId, first.customerId);
        assert.equal(stripe.calls("POST", /^\/v1\/customers$/).length, 1);
        assert.match(stripe.calls("GET", /^\/v1\/customers\/search$/)[0].url.searchParams.get("query")!, /^metadata\['flow-nexus:account'\]:'acct-\d+'$/);
    });

    it("a refill run charges off-session on the saved card under the refill's idempotency key, and credits it", async function () {
        const outs = await withCard();
        const result = await runRefill(CLOUD, outs.account);
        assert.equal(result.charged, true);
        const [call] = stripe.calls("POST", /^\/v1\/payment_intents$/);
        const key = refillIdempotencyKey(outs.account, monthOf(new Date()), 1);
        assert.equal(call.headers.get("idempotency-key"), key);
        const form = call.form();
        assert.deepEqual(
            ["amount", "currency", "customer", "payment_method", "off_session", "confirm"].map((k) => form.get(k)),
            ["1000", "usd", outs.customerId, stripe.cards.get(outs.customerId!)![0], "true", "true"],
        );
        assert.equal(result.payment!.id, stripe.intents[stripe.intents.length - 1].id);
        assert.equal(await balance(CLOUD, outs.account), 100);
        const read = (await refills.read(outs.account, outs)).props!;
        assert.deepEqual([read.balance, read.monthlySpentUsd, read.paymentMethodReady], [100, 10, true]);
    });

    it("records a decline, reports it, and does not retry it blindly", async function () {
        const outs = await withCard();
        stripe.outcomes = ["card_declined"];
        const first = await runRefill(CLOUD, outs.account);
        assert.equal(first.charged, false);
        assert.equal(first.payment!.status, "declined");
        assert.match(first.payment!.message!, /the card was declined \(insufficient_funds\): Your card has insufficient funds\./);
        const again = await runRefill(CLOUD, outs.account);
        assert.match(again.reason, /was declined.*It is not retried automatically/);
        assert.equal(stripe.calls("POST", /^\/v1\/payment_intents$/).length, 1, "no second charge attempt");
        const retried = await runRefill(CLOUD, outs.account, { retryFailed: true });
        assert.equal(retried.charged, true);
        assert.equal(stripe.calls("POST", /^\/v1\/payment_intents$/)[1].headers.get("idempotency-key"), `${refillIdempotencyKey(outs.account, monthOf(new Date()), 1)}:attempt-2`);
    });

    it("reports authentication_required with the PaymentIntent the customer must confirm", async function () {
        const outs = await withCard();
        stripe.outcomes = ["authentication_required"];
        const result = await runRefill(CLOUD, outs.account);
        assert.equal(result.payment!.status, "authentication_required");
        assert.match(result.payment!.message!, /authenticate the payment \(PaymentIntent pi_\d+\)/);
        const { rows } = await withDatabase(CLOUD, (c) => c.query("select status from flow_nexus.payments where account = $1", [outs.account]));
        assert.deepEqual(rows.map((r) => r.status), ["authentication_required"]);
    });

    it("a repeated idempotency key returns the first PaymentIntent: a re-run never charges twice", async function () {
        const outs = await withCard();
        const { stripeProcessor } = await import("../../providers/billing/stripe");
        const processor = await stripeProcessor(CLOUD);
        const request = { account: outs.account, usdCents: 1000, idempotencyKey: "refill:test:twice" };
        const [a, b] = [await processor.charge(request), await processor.charge(request)];
        assert.equal(a.id, b.id);
        assert.equal(stripe.intents.filter((pi) => pi.customer === outs.customerId).length, 1);
    });

    it("maps a rate limit (429) and a refused key (401) to errors that charge nothing and name what to do", async function () {
        const outs = await withCard();
        stripe.http.once("POST", /^\/v1\/payment_intents$/, () => stripeError(429, { type: "invalid_request_error", code: "rate_limit", message: "Too many requests made to the API too quickly" }));
        const limited = await rejection(() => runRefill(CLOUD, outs.account));
        assert.match(limited.message, /the refill of account acct-\d+ was not completed: the payment processor failed \(charging \$10\.00 .* failed: Stripe is rate-limiting this account/);
        assert.match(limited.message, /The next run charges with the same idempotency key/);
        stripe.http.once("GET", /^\/v1\/customers\/cus_/, () => stripeError(401, { type: "invalid_request_error", message: `Invalid API Key provided: ${FAKE_CREDENTIALS.stripeSecretKey}` }));
        const refused = await rejection(() => runRefill(CLOUD, outs.account));
        assert.match(refused.message, /Stripe refused the credentials .*pulumi config set --secret flow-nexus:stripeSecretKey/);
        assert.doesNotMatch(refused.message, new RegExp(FAKE_CREDENTIALS.stripeSecretKey));
        const { rows } = await withDatabase(CLOUD, (c) => c.query("select 1 from flow_nexus.payments where account = $1", [outs.account]));
        assert.equal(rows.length, 0, "nothing recorded as charged");
    });

    it("without a saved payment method the run says how to save one, and a SetupIntent is off-session", async function () {
        const outs = (await refills.create(await inputs())).outs!;
        assert.match((await rejection(() => runRefill(CLOUD, outs.account))).message, /has no saved payment method; save a card for off-session use/);
        const setup = await startPaymentMethodSetup(CLOUD, outs.account);
        assert.match(setup.clientSecret, /^seti_\d+_secret_/);
        assert.equal(stripe.calls("POST", /^\/v1\/setup_intents$/)[0].form().get("usage"), "off_session");
    });

    it("takes the payment history from Stripe", async function () {
        const outs = await withCard();
        stripe.outcomes = ["card_declined"];
        await runRefill(CLOUD, outs.account);
        await runRefill(CLOUD, outs.account, { retryFailed: true });
        stripe.http.clearRecords();
        const payments = (await history(CLOUD, outs.account)).filter((h) => h.record === "payment");
        assert.equal(stripe.calls("GET", /^\/v1\/payment_intents$/)[0].url.searchParams.get("customer"), outs.customerId);
        assert.deepEqual(payments.map((p) => p.record === "payment" && [p.status, p.usdCents, p.credits]), [["succeeded", 1000, 100], ["declined", 1000, 100]]);
    });

    it("read shows a customer deleted in Stripe; update makes a new one; delete keeps the customer; a new account replaces", async function () {
        const outs = (await refills.create(await inputs())).outs!;
        // Deleted in the dashboard: within 24 hours Stripe would replay it for the same idempotency key.
        stripe.customers.get(outs.customerId!)!.deleted = true;
        assert.equal((await refills.read(outs.account, outs)).props!.customerId, "");
        const updated = (await refills.update(outs.account, outs, { ...outs, thresholdCredits: 50 })).outs!;
        assert.notEqual(updated.customerId, outs.customerId);
        assert.ok(updated.customerId && !stripe.customers.get(updated.customerId)!.deleted);
        await refills.delete(outs.account, updated);
        assert.equal(stripe.calls("DELETE", /^\/v1\/customers\//).length, 0);
        assert.deepEqual((await refills.diff(outs.account, outs, { ...outs, account: "other" })).replaces, ["account"]);
    });
});
