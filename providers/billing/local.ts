/**
 * The AutoRefill policy store: the policy is a row of
 * flow_nexus.refill_policies beside the ledger, in the backend's platform
 * database (the stack's Postgres locally, `flow-nexus:databaseUrl` in the
 * cloud, where ./cloud adds the Stripe customer). Nothing here charges;
 * `initialCredits` is granted once, by reference.
 */
import type { ClientBase } from "pg";
import { withDatabase } from "../runtime/postgres";
import { databaseDown } from "../runtime/postgres-server";
import { balanceOf, ensureLedger, INITIAL_CREDITS_REFERENCE, insertEntry, monthOf, withAccountLock } from "./ledger";
import { paymentsIn } from "./payments";
import { deletePolicy, readPolicy, RefillPolicy, writePolicy } from "./policy";
import { spentUsdCents } from "./refill";
import type { Inputs, Outputs, RefillBackend } from "./schema";

const cents = (usd: number) => Math.round(usd * 100);

function policyOf(inputs: Inputs): RefillPolicy {
    return {
        account: inputs.account,
        enabled: inputs.enabled,
        thresholdCredits: inputs.thresholdCredits,
        refillUsdCents: cents(inputs.refillAmountUsd),
        monthlyLimitUsdCents: inputs.monthlyLimitUsd === undefined ? null : cents(inputs.monthlyLimitUsd),
        creditsPerSandboxHour: inputs.creditsPerSandboxHour,
        urn: inputs.tags["flow-nexus:urn"],
    };
}

/** The inputs as the policy row has them (a change made by a tool shows as drift). */
function inputsOf(state: Inputs, policy: RefillPolicy): Inputs {
    return {
        ...state,
        enabled: policy.enabled,
        thresholdCredits: policy.thresholdCredits,
        refillAmountUsd: policy.refillUsdCents / 100,
        monthlyLimitUsd: policy.monthlyLimitUsdCents === null ? undefined : policy.monthlyLimitUsdCents / 100,
        creditsPerSandboxHour: policy.creditsPerSandboxHour,
    };
}

async function outputs(client: ClientBase, inputs: Inputs): Promise<Outputs> {
    const spent = spentUsdCents(await paymentsIn(client, inputs.account, monthOf(new Date())));
    return {
        ...inputs,
        status: inputs.enabled ? "enabled" : "disabled",
        balance: await balanceOf(client, inputs.account),
        monthlySpentUsd: spent / 100,
    };
}

/** Writes the policy unless another resource manages the account's policy. */
async function save(inputs: Inputs, owners: string[], grant: boolean): Promise<Outputs> {
    return withAccountLock(inputs.backend, inputs.account, async (client) => {
        const existing = await readPolicy(client, inputs.account);
        if (existing && !owners.includes(existing.urn)) {
            throw new Error(
                `account ${inputs.account} already has an auto-refill policy, managed by ${existing.urn}: ` +
                    "an account has one AutoRefill (remove that one first, or use another account)",
            );
        }
        await writePolicy(client, policyOf(inputs));
        if (grant && inputs.initialCredits > 0) {
            await insertEntry(client, { account: inputs.account, kind: "credit", credits: inputs.initialCredits, reference: INITIAL_CREDITS_REFERENCE });
        }
        return outputs(client, inputs);
    });
}

export const backend: RefillBackend = {
    down: (_id, state) => databaseDown(state.backend),

    create: (inputs) => save(inputs, [inputs.tags["flow-nexus:urn"]], true),

    async read(_id, state) {
        return withDatabase(state.backend, async (client) => {
            await ensureLedger(client);
            const policy = await readPolicy(client, state.account);
            // Gone, or now another resource's policy: this one's is gone.
            if (!policy || policy.urn !== state.tags["flow-nexus:urn"]) return undefined;
            return outputs(client, inputsOf(state, policy));
        });
    },

    // A renamed resource (an alias) keeps its policy: both URNs own it.
    update: (_id, olds, news) => save(news, [olds.tags["flow-nexus:urn"], news.tags["flow-nexus:urn"]], false),

    // Locally the ledger lives in the stack's own Postgres, which goes with
    // the stack's last resource: payments recorded there are history to keep.
    async held(state) {
        if (state.backend.kind !== "local") return undefined;
        return withDatabase(state.backend, async (client) => {
            await ensureLedger(client);
            const { rows } = await client.query<{ n: string }>("select count(*) as n from flow_nexus.payments where account = $1", [state.account]);
            const n = Number(rows[0].n);
            return n > 0 ? `the ledger of account ${state.account} holds ${n} payment${n === 1 ? "" : "s"}` : undefined;
        });
    },

    async delete(_id, state) {
        // The ledger and the payments stay: money history is not the policy's to delete.
        await withDatabase(state.backend, async (client) => {
            await ensureLedger(client);
            await deletePolicy(client, state.account, state.tags["flow-nexus:urn"]);
        });
    },
};
