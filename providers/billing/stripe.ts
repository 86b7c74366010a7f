/**
 * Stripe behind the billing interfaces: the account's customer (tagged in
 * its metadata, so an interrupted run adopts it), the saved payment method
 * (a SetupIntent with `usage: off_session`), a {@link PaymentProcessor} that
 * charges a refill with an off-session PaymentIntent under the refill's
 * deterministic idempotency key, and the payment history read from Stripe.
 *
 * Which customer belongs to which credit account is kept beside the ledger
 * (flow_nexus.stripe_customers in the cloud database), so a charge never
 * depends on Stripe's eventually consistent search.
 */
import { createHash } from "crypto";
import type Stripe from "stripe";
import { stripeClient } from "../runtime/clients";
import { cloudError, stripeError } from "../runtime/cloud-errors";
import type { Tags } from "../runtime/lineage";
import { migratePlatform } from "../runtime/platform-tables";
import { DatabaseRef, withDatabase } from "../runtime/postgres";
import { creditsForUsdCents } from "./ledger";
import { PaymentRecord, PaymentStatus } from "./payments";
import type { ChargeResult, PaymentProcessor } from "./processor";

/**
 * A metadata value Stripe accepts (at most 500 characters): a longer one (a
 * deep URN) keeps its start and ends with its hash, so it still names one thing.
 */
export function metadataValue(value: string): string {
    if (value.length <= 500) return value;
    return `${value.slice(0, 420)}…sha256:${createHash("sha256").update(value).digest("hex")}`;
}

/** The metadata key that ties a Stripe object to its credit account. */
export const ACCOUNT_KEY = "flow-nexus:account";
/** The metadata key that names the refill a PaymentIntent charged. */
export const IDEMPOTENCY_KEY = "flow-nexus:idempotency-key";

const CUSTOMERS = `
    create table if not exists flow_nexus.stripe_customers (
        account text primary key,
        customer_id text not null,
        urn text not null,
        created_at timestamptz not null default now()
    )`;

function usd(cents: number): string {
    return `$${(cents / 100).toFixed(2)}`;
}

/** The customer recorded for the account, if any. */
export function customerOf(db: DatabaseRef, account: string): Promise<string | undefined> {
    return withDatabase(db, async (client) => {
        await migratePlatform(client, "stripe", [CUSTOMERS]);
        const { rows } = await client.query<{ customer_id: string }>("select customer_id from flow_nexus.stripe_customers where account = $1", [account]);
        return rows[0]?.customer_id;
    });
}

async function recordCustomer(db: DatabaseRef, account: string, customerId: string, urn: string): Promise<void> {
    await withDatabase(db, async (client) => {
        await migratePlatform(client, "stripe", [CUSTOMERS]);
        await client.query(
            `insert into flow_nexus.stripe_customers (account, customer_id, urn) values ($1, $2, $3)
             on conflict (account) do update set customer_id = excluded.customer_id, urn = excluded.urn`,
            [account, customerId, urn],
        );
    });
}

/** The customer, or undefined when Stripe has no such customer (or it was deleted). */
async function liveCustomer(stripe: Stripe, customerId: string): Promise<Stripe.Customer | undefined> {
    try {
        const customer = await stripe.customers.retrieve(customerId, { expand: ["invoice_settings.default_payment_method"] });
        return customer.deleted ? undefined : (customer as Stripe.Customer);
    } catch (err) {
        const mapped = stripeError(err, `reading Stripe customer ${customerId}`);
        if (mapped.failure === "not-found") return undefined;
        throw mapped;
    }
}

/**
 * The account's Stripe customer, made once: the one recorded for the
 * account, else one tagged with the account (an interrupted run made it),
 * else a new one, created under an idempotency key derived from the stack
 * and account so that a retried create returns the same customer.
 */
export async function ensureCustomer(db: DatabaseRef, account: string, tags: Tags): Promise<Stripe.Customer> {
    const stripe = await stripeClient();
    const recorded = await customerOf(db, account);
    const known = recorded && (await liveCustomer(stripe, recorded));
    if (known) return known;
    const tagged = await taggedCustomer(stripe, account, tags);
    // Read back with its default payment method expanded, as every customer here is.
    const customer = (tagged && (await liveCustomer(stripe, tagged))) || (await createCustomer(stripe, account, tags, recorded));
    await recordCustomer(db, account, customer.id, tags["flow-nexus:urn"]);
    return customer;
}

/** The live customer an earlier run of this stack made for the account, found by its metadata. */
async function taggedCustomer(stripe: Stripe, account: string, tags: Tags): Promise<string | undefined> {
    try {
        const query = `metadata['${ACCOUNT_KEY}']:'${account.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
        const { data } = await stripe.customers.search({ query, limit: 10 });
        return data.find((c) => c.metadata?.["flow-nexus:stack"] === metadataValue(tags["flow-nexus:stack"]))?.id;
    } catch (err) {
        throw stripeError(err, `finding the Stripe customer of account ${account}`);
    }
}

/**
 * Creates the account's customer under an idempotency key derived from the
 * stack, the account and the customer it replaces (if one was deleted), so
 * a retried create returns the same customer and never a deleted one: within
 * Stripe's 24 hours a reused key would replay the deleted customer.
 */
async function createCustomer(stripe: Stripe, account: string, tags: Tags, replacing: string | undefined): Promise<Stripe.Customer> {
    const base = `flow-nexus:customer:${createHash("sha256").update(`${tags["flow-nexus:stack"]}\0${account}`).digest("hex")}`;
    const create = async (idempotencyKey: string) => {
        try {
            const customer = await stripe.customers.create(
                {
                    description: `Flow Nexus credit account ${account}`,
                    metadata: { [ACCOUNT_KEY]: account, "flow-nexus:stack": metadataValue(tags["flow-nexus:stack"]), "flow-nexus:urn": metadataValue(tags["flow-nexus:urn"]) },
                },
                { idempotencyKey },
            );
            return customer.id;
        } catch (err) {
            throw stripeError(err, `creating the Stripe customer of account ${account}`);
        }
    };
    const customerId = await create(replacing ? `${base}:replacing:${replacing}` : base);
    const live = await liveCustomer(stripe, customerId);
    if (live) return live;
    // The key replayed a customer deleted since: make another (new, so live: no need to ask).
    return (await liveCustomer(stripe, await create(`${base}:replacing:${customerId}`)))!;
}

/** The account's live customer and whether a refill could be charged to it now. */
export async function paymentSetup(db: DatabaseRef, account: string, known?: Stripe.Customer): Promise<{ customerId: string; paymentMethodReady: boolean }> {
    const stripe = await stripeClient();
    const recorded = known ? known.id : await customerOf(db, account);
    const customer = known ?? (recorded ? await liveCustomer(stripe, recorded) : undefined);
    if (!customer) return { customerId: "", paymentMethodReady: false };
    return { customerId: customer.id, paymentMethodReady: (await savedPaymentMethod(stripe, customer)) !== undefined };
}

/** The payment method a refill charges: the customer's default, else the newest saved card. */
export async function savedPaymentMethod(stripe: Stripe, customer: Stripe.Customer): Promise<Stripe.PaymentMethod | undefined> {
    const customerId = customer.id;
    const preferred = customer.invoice_settings?.default_payment_method;
    if (preferred && typeof preferred !== "string") return preferred;
    try {
        const { data } = await stripe.paymentMethods.list({ customer: customerId, type: "card", limit: 1 });
        return data[0];
    } catch (err) {
        throw stripeError(err, `listing the saved payment methods of Stripe customer ${customerId}`);
    }
}

/**
 * Starts saving a card for off-session refills: a SetupIntent whose client
 * secret a front end (Stripe Elements) confirms with the customer present.
 * The secret is returned to the caller only, never stored.
 */
export async function startPaymentMethodSetup(db: DatabaseRef, account: string): Promise<{ setupIntentId: string; clientSecret: string }> {
    const customerId = await customerOf(db, account);
    if (!customerId) throw new Error(`account ${account} has no Stripe customer yet: create its AutoRefill on the cloud backend first`);
    const stripe = await stripeClient();
    try {
        const intent = await stripe.setupIntents.create({ customer: customerId, usage: "off_session", metadata: { [ACCOUNT_KEY]: account } });
        return { setupIntentId: intent.id, clientSecret: intent.client_secret! };
    } catch (err) {
        throw stripeError(err, `starting a payment-method setup for account ${account}`);
    }
}

/** A card error (decline, authentication required) as the refill run records it. */
function cardFailure(err: Stripe.errors.StripeCardError, idempotencyKey: string): ChargeResult {
    const intent = err.payment_intent;
    const status: PaymentStatus = err.code === "authentication_required" ? "authentication_required" : "declined";
    const reason = err.decline_code ? ` (${err.decline_code})` : "";
    const message =
        status === "authentication_required"
            ? `the bank asks the customer to authenticate the payment${intent ? ` (PaymentIntent ${intent.id})` : ""}: the customer confirms it, then the refill is retried`
            : `the card was declined${reason}: ${err.message}`;
    return { id: intent?.id ?? `pi_failed_${idempotencyKey}`, status, message };
}

/** A PaymentIntent's outcome in the ledger's terms; undefined while Stripe is still processing it. */
function outcomeOf(intent: Stripe.PaymentIntent): ChargeResult | undefined {
    if (intent.status === "succeeded") return { id: intent.id, status: "succeeded" };
    if (intent.status === "requires_action" || intent.status === "requires_confirmation") {
        return { id: intent.id, status: "authentication_required", message: `the bank asks the customer to authenticate the payment (PaymentIntent ${intent.id})` };
    }
    if (intent.status === "requires_payment_method" || intent.status === "canceled") {
        return { id: intent.id, status: "declined", message: intent.last_payment_error?.message ?? `the payment was not completed (${intent.status})` };
    }
    return undefined;
}

/**
 * Charges refills with off-session PaymentIntents on the account's saved
 * payment method. The refill's idempotency key is Stripe's too, so a re-run
 * returns the first PaymentIntent instead of charging again. Declines and
 * authentication requests are results (recorded, not retried blindly);
 * rate limits, refused keys and outages are errors (nothing was charged, the
 * next run asks again under the same key).
 */
export async function stripeProcessor(db: DatabaseRef): Promise<PaymentProcessor> {
    return {
        async charge({ account, usdCents, idempotencyKey }) {
            const what = `charging ${usd(usdCents)} to account ${account} (idempotency key ${idempotencyKey})`;
            const customer = await customerOf(db, account);
            if (!customer) throw new Error(`${what} failed: the account has no Stripe customer; create its AutoRefill on the cloud backend first`);
            const stripe = await stripeClient();
            const live = await liveCustomer(stripe, customer);
            const method = live && (await savedPaymentMethod(stripe, live));
            if (!method) {
                throw new Error(`${what} failed: Stripe customer ${customer} has no saved payment method; save a card for off-session use (startPaymentMethodSetup), then run the refill again`);
            }
            let intent: Stripe.PaymentIntent;
            try {
                intent = await stripe.paymentIntents.create(
                    {
                        amount: usdCents,
                        currency: "usd",
                        customer,
                        payment_method: method.id,
                        off_session: true,
                        confirm: true,
                        // A saved card charged with nobody present: no redirect can happen, so none is offered (else Stripe wants a return_url).
                        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
                        description: `Flow Nexus refill: ${creditsForUsdCents(usdCents)} credits`,
                        metadata: { [ACCOUNT_KEY]: account, [IDEMPOTENCY_KEY]: idempotencyKey },
                    },
                    { idempotencyKey },
                );
            } catch (err) {
                if ((err as { type?: string }).type === "StripeCardError") return cardFailure(err as Stripe.errors.StripeCardError, idempotencyKey);
                throw stripeError(err, what);
            }
            const outcome = outcomeOf(intent);
            if (!outcome) throw cloudError("Stripe", "unavailable", what, `PaymentIntent ${intent.id} is still ${intent.status}; the next run asks again under the same key`);
            return outcome;
        },
    };
}

/** The account's refill payments as Stripe has them (PaymentIntents of its customer), newest first. */
export async function stripePayments(account: string, opts: { db: DatabaseRef; limit?: number }): Promise<PaymentRecord[]> {
    const customer = await customerOf(opts.db, account);
    if (!customer) return [];
    const stripe = await stripeClient();
    let intents: Stripe.PaymentIntent[];
    try {
        intents = await stripe.paymentIntents.list({ customer, limit: Math.min(opts.limit ?? 100, 100) }).autoPagingToArray({ limit: opts.limit ?? 1000 });
    } catch (err) {
        throw stripeError(err, `reading the payments of account ${account} from Stripe`);
    }
    const records: PaymentRecord[] = [];
    for (const intent of intents) {
        const outcome = outcomeOf(intent);
        // Still processing: not a payment yet, in either direction.
        if (!outcome) continue;
        records.push({
            id: intent.id,
            account,
            idempotencyKey: intent.metadata?.[IDEMPOTENCY_KEY] ?? "",
            usdCents: intent.amount,
            credits: creditsForUsdCents(intent.amount),
            status: outcome.status,
            at: new Date(intent.created * 1000),
            message: outcome.message ?? null,
        });
    }
    return records;
}
