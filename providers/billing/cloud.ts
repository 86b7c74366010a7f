/**
 * The cloud AutoRefill backend: the policy and ledger as on the local
 * backend, in the cloud database (./local runs the same SQL through
 * `flow-nexus:databaseUrl`), plus the account's Stripe customer, made or
 * adopted on create and update. Nothing here charges: a refill run does,
 * with the Stripe processor.
 */
import type Stripe from "stripe";
import { backend as policies } from "./local";
import type { Outputs, RefillBackend } from "./schema";
import { ensureCustomer, paymentSetup } from "./stripe";

/** The outputs with what Stripe has for the account: its live customer (asked for once), and whether a refill could be charged. */
async function withPayments(outs: Outputs, customer?: Stripe.Customer): Promise<Outputs> {
    return { ...outs, ...(await paymentSetup(outs.backend, outs.account, customer)) };
}

export const backend: RefillBackend = {
    async create(inputs) {
        // The customer first: a policy whose refills could never be charged is not created.
        const customer = await ensureCustomer(inputs.backend, inputs.account, inputs.tags);
        return withPayments(await policies.create(inputs), customer);
    },

    async read(id, state) {
        const outs = await policies.read(id, state);
        if (!outs) return undefined;
        // A customer deleted in Stripe shows as an empty customerId; the next update makes a new one.
        return withPayments(outs);
    },

    async update(id, olds, news) {
        const customer = await ensureCustomer(news.backend, news.account, news.tags);
        return withPayments(await policies.update(id, olds, news), customer);
    },

    // The Stripe customer and its payments stay, as the ledger does: money history is not the policy's to delete.
    delete: (id, state) => policies.delete(id, state),
};
