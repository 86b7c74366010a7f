/**
 * Live acceptance: the Stripe backend in Stripe's test mode: the account's
 * customer, a saved card, refill runs charging off-session, a decline and an
 * authentication request reported and not retried blindly, and the payment
 * history read from Stripe. Runs only with STRIPE_SECRET_KEY set to a test
 * key (sk_test_…); the ledger goes to DATABASE_URL when set, else to a
 * throwaway local Postgres. The customer is deleted at the end.
 */
import { strict as assert } from "assert";
import type Stripe from "stripe";
import { history } from "../../providers/billing/statements";
import { runRefill } from "../../providers/billing/refill";
import { Inputs, Outputs, provider } from "../../providers/billing/resource";
import { stripeClient } from "../../providers/runtime/clients";
import { checked, CLOUD, cloudDatabase, engine, stackConfig, tagsOf } from "../contract/support";
import { forgetCredentials, requireEnv, uniqueName } from "./support";

describe("live: Stripe (test mode)", function () {
    this.timeout(5 * 60_000);
    const refills = engine<Inputs, Outputs>(provider);
    let db: Awaited<ReturnType<typeof cloudDatabase>> | undefined;
    let stripe: Stripe;
    let refill: Outputs | undefined;
    const account = uniqueName("live-account");

    /** Saves one of Stripe's test cards as the customer's default payment method. */
    async function useCard(testCard: string): Promise<void> {
        const method = await stripe.paymentMethods.attach(testCard, { customer: refill!.customerId! });
        await stripe.customers.update(refill!.customerId!, { invoice_settings: { default_payment_method: method.id } });
    }

    before(async function () {
        const env = requireEnv(this, "Stripe", ["STRIPE_SECRET_KEY"]);
        if (!env.STRIPE_SECRET_KEY.startsWith("sk_test_")) {
            console.log("live Stripe tests skipped: STRIPE_SECRET_KEY is not a test-mode key (sk_test_...); they charge cards");
            this.skip();
        }
        if (!process.env.DATABASE_URL) db = await cloudDatabase();
        await refills.configure(stackConfig({ stripeSecretKey: env.STRIPE_SECRET_KEY, databaseUrl: process.env.DATABASE_URL ?? db!.url }));
        stripe = await stripeClient();
    });

    after(async function () {
        if (refill) {
            await refills.delete(refill.account, refill).catch((err) => console.log(`cleanup: ${err.message}`));
            if (refill.customerId) await stripe.customers.del(refill.customerId).catch((err) => console.log(`cleanup: ${err.message}`));
        }
        forgetCredentials();
        await db?.stop();
    });

    it("creates the account's customer (adopted on a second create) without charging", async function () {
        const inputs = await checked(refills, { account, thresholdCredits: 1000, refillAmountUsd: 10, monthlyLimitUsd: 50, backend: CLOUD, tags: tagsOf("AutoRefill", account) } as Inputs);
        refill = (await refills.create(inputs)).outs!;
        assert.match(refill.customerId!, /^cus_/);
        assert.equal(refill.paymentMethodReady, false);
        assert.equal((await refills.create(inputs)).outs!.customerId, refill.customerId);
    });

    it("charges a refill off-session on the saved card and credits it", async function () {
        await useCard("pm_card_visa");
        const result = await runRefill(CLOUD, account);
        assert.equal(result.charged, true, result.reason);
        assert.match(result.payment!.id, /^pi_/);
    });

    it("records a decline and does not retry it; a retry that needs authentication is reported", async function () {
        await useCard("pm_card_chargeDeclined");
        const declined = await runRefill(CLOUD, account);
        assert.equal(declined.payment?.status, "declined", declined.reason);
        assert.match((await runRefill(CLOUD, account)).reason, /not retried automatically/);
        await useCard("pm_card_authenticationRequired");
        const auth = await runRefill(CLOUD, account, { retryFailed: true });
        assert.equal(auth.payment?.status, "authentication_required", auth.reason);
    });

    it("reads the payment history from Stripe", async function () {
        const payments = (await history(CLOUD, account)).filter((item) => item.record === "payment");
        assert.deepEqual(new Set(payments.map((p) => p.record === "payment" && p.status)), new Set(["succeeded", "declined", "authentication_required"]));
    });
});
