import { strict as assert } from "assert";
import { creditsForUsdCents, monthOf, monthRange } from "../../providers/billing/ledger";
import { decideRefill, MAX_IDEMPOTENCY_KEY, refillIdempotencyKey, RefillSituation, usd } from "../../providers/billing/refill";
import { metadataValue } from "../../providers/billing/stripe";
import { checkRefill, Inputs, provider } from "../../providers/billing/resource";
import { UNKNOWN } from "../../providers/runtime/schema";
import { asEngine, testTags } from "../support";

const refills = asEngine(provider);

describe("unit: AutoRefill inputs", function () {
    const valid = (): Partial<Inputs> => ({
        account: "user-1",
        thresholdCredits: 50,
        monthlyLimitUsd: 100,
        backend: { kind: "local", dataDir: "/tmp/unused" },
        tags: testTags("AutoRefill", "refill"),
    });
    const reasons = (inputs: Partial<Inputs>) => checkRefill({ ...valid(), ...inputs }).failures.map((f) => f.reason);

    it("applies the defaults in check and accepts them", async function () {
        const { inputs, failures } = await refills.check({}, valid() as Inputs);
        assert.deepEqual(failures, []);
        assert.deepEqual(
            [inputs!.enabled, inputs.refillAmountUsd, inputs.initialCredits, inputs.creditsPerSandboxHour],
            [true, 10, 0, 1],
        );
    });

    it("names a negative or fractional threshold", function () {
        assert.deepEqual(reasons({ thresholdCredits: -5 }), ["thresholdCredits must be a whole number from 0 to 1000000 credits (got -5)"]);
        assert.deepEqual(reasons({ thresholdCredits: 2.5 }), ["thresholdCredits must be a whole number from 0 to 1000000 credits (got 2.5)"]);
    });

    it("refuses a monthly limit below one refill", function () {
        assert.deepEqual(reasons({ monthlyLimitUsd: 5 }), ["monthlyLimitUsd must be at least one refill (refillAmountUsd 10) (got 5)"]);
        assert.deepEqual(reasons({ refillAmountUsd: 25, monthlyLimitUsd: 20 }), [
            "monthlyLimitUsd must be at least one refill (refillAmountUsd 25) (got 20)",
        ]);
        assert.deepEqual(reasons({ refillAmountUsd: 25, monthlyLimitUsd: 25 }), []);
    });

    it("names refill amounts out of range or finer than a cent", function () {
        assert.deepEqual(reasons({ refillAmountUsd: 3 }), ["refillAmountUsd must be an amount in US dollars from 5 to 1000, in whole cents (got 3)"]);
        assert.deepEqual(reasons({ refillAmountUsd: 1001, monthlyLimitUsd: 2000 }), [
            "refillAmountUsd must be an amount in US dollars from 5 to 1000, in whole cents (got 1001)",
        ]);
        assert.deepEqual(reasons({ refillAmountUsd: 10.005 }), [
            "refillAmountUsd must be an amount in US dollars from 5 to 1000, in whole cents (got 10.005)",
        ]);
        assert.deepEqual(reasons({ refillAmountUsd: 12.5 }), []);
        assert.deepEqual(reasons({ monthlyLimitUsd: undefined }), [], "no limit is the policy pack's to refuse");
        assert.deepEqual(reasons({ monthlyLimitUsd: 4 }), ["monthlyLimitUsd must be an amount in US dollars from 5 to 100000, in whole cents (got 4)"]);
    });

    it("names bad initial credits, sandbox rates and accounts", function () {
        assert.deepEqual(reasons({ initialCredits: -1, creditsPerSandboxHour: -0.5, account: "" }), [
            "account must be a non-empty string",
            "initialCredits must be a whole number from 0 to 1000000 credits (got -1)",
            "creditsPerSandboxHour must be a number of credits from 0 to 1000 (got -0.5)",
        ]);
    });

    it("leaves amounts unknown at preview to apply", function () {
        assert.deepEqual(reasons({ refillAmountUsd: UNKNOWN as never }), []);
        assert.deepEqual(reasons({ monthlyLimitUsd: UNKNOWN as never }), []);
    });

    it("replaces only for another account; every setting updates in place", async function () {
        const olds = { ...valid(), status: "enabled", balance: 0, monthlySpentUsd: 0 };
        const account = await refills.diff("user-1", olds, { ...valid(), account: "user-2" });
        assert.deepEqual(account.replaces, ["account"]);
        const settings = await refills.diff("user-1", olds, { ...valid(), enabled: false, thresholdCredits: 10, refillAmountUsd: 20, initialCredits: 5 });
        assert.deepEqual([settings.changes, settings.replaces], [true, []]);
        assert.equal((await refills.diff("user-1", olds, valid())).changes, false);
    });
});

describe("unit: refill idempotency keys", function () {
    it("stays within Stripe's 255 characters for any account check allows, and stays one key per account", function () {
        // 200 characters, the most check allows; URI-encoded, 1,200.
        const long = "é".repeat(200);
        const key = refillIdempotencyKey(long, "2025-06", 12, 3);
        assert.ok(key.length <= MAX_IDEMPOTENCY_KEY, `${key.length} characters`);
        assert.equal(key, refillIdempotencyKey(long, "2025-06", 12, 3));
        assert.notEqual(key, refillIdempotencyKey(`${long.slice(1)}e`, "2025-06", 12, 3));
        assert.equal(refillIdempotencyKey("x".repeat(200), "2025-06", 1), `refill:${"x".repeat(200)}:2025-06:1`, "a key that fits stays readable");
        assert.match(key, /^refill:sha256-[0-9a-f]{64}:2025-06:12:attempt-3$/);
    });

    it("keeps Stripe metadata values within 500 characters, each still naming one thing", function () {
        const urn = `urn:pulumi:dev::flow-nexus::${"flownexus:platform:FlowNexusPlatform$".repeat(20)}flownexus:AutoRefill::x`;
        assert.ok(metadataValue(urn).length <= 500);
        assert.notEqual(metadataValue(urn), metadataValue(`${urn}y`));
        assert.equal(metadataValue("short"), "short");
    });

    it("derives the same key from the same account, month and sequence", function () {
        assert.equal(refillIdempotencyKey("user-1", "2025-06", 1), "refill:user-1:2025-06:1");
        assert.equal(refillIdempotencyKey("user-1", "2025-06", 1), refillIdempotencyKey("user-1", "2025-06", 1));
        assert.equal(refillIdempotencyKey("user-1", "2025-06", 2), "refill:user-1:2025-06:2");
        assert.equal(refillIdempotencyKey("user-1", "2025-07", 1), "refill:user-1:2025-07:1");
    });

    it("gives a retry after a failed attempt its own key", function () {
        assert.equal(refillIdempotencyKey("user-1", "2025-06", 1, 2), "refill:user-1:2025-06:1:attempt-2");
    });

    it("keeps accounts apart even when they contain the separator", function () {
        assert.notEqual(refillIdempotencyKey("a:2025-06", "2025-06", 1), refillIdempotencyKey("a", "2025-06", 1));
        assert.equal(refillIdempotencyKey("a:b", "2025-06", 1), "refill:a%3Ab:2025-06:1");
    });

    it("counts months in UTC", function () {
        assert.equal(monthOf(new Date("2025-06-30T23:59:59.999Z")), "2025-06");
        assert.equal(monthOf(new Date("2025-07-01T00:00:00Z")), "2025-07");
        assert.deepEqual(monthRange("2025-12"), { start: new Date("2025-12-01T00:00:00Z"), end: new Date("2026-01-01T00:00:00Z") });
        assert.throws(() => monthRange("2025-13"), /month must be YYYY-MM, e.g. 2025-06 \(got "2025-13"\)/);
    });

    it("buys 10 credits per US dollar", function () {
        assert.equal(creditsForUsdCents(1000), 100);
        assert.equal(creditsForUsdCents(1250), 125);
        assert.equal(usd(1250), "$12.50");
    });
});

describe("unit: the refill decision", function () {
    const policy = { enabled: true, thresholdCredits: 50, refillUsdCents: 1000, monthlyLimitUsdCents: 3000 };
    const situation = (s: Partial<RefillSituation> = {}): RefillSituation => ({
        account: "user-1",
        policy,
        balance: 10,
        month: "2025-06",
        spentUsdCents: 0,
        ...s,
    });

    it("charges one refill below the threshold", function () {
        assert.deepEqual(decideRefill(situation()), {
            charge: true,
            usdCents: 1000,
            credits: 100,
            reason: "balance 10 is below the threshold 50: refill $10.00 for 100 credits",
        });
    });

    it("does not charge without a policy or with it disabled", function () {
        assert.deepEqual(decideRefill(situation({ policy: undefined })), {
            charge: false,
            cause: "no-policy",
            reason: "account user-1 has no auto-refill policy",
        });
        assert.deepEqual(decideRefill(situation({ policy: { ...policy, enabled: false } })), {
            charge: false,
            cause: "disabled",
            reason: "auto-refill is disabled for account user-1",
        });
    });

    it("does not charge at or above the threshold", function () {
        assert.equal(decideRefill(situation({ balance: 50 })).reason, "balance 50 is at or above the threshold 50");
        assert.equal(decideRefill(situation({ balance: 49.999 })).charge, true);
    });

    it("stops at the monthly limit, naming the limit and what was spent", function () {
        assert.equal(decideRefill(situation({ spentUsdCents: 2000 })).charge, true, "the third refill fits exactly");
        assert.deepEqual(decideRefill(situation({ spentUsdCents: 3000 })), {
            charge: false,
            cause: "monthly-limit",
            reason: "a refill of $10.00 would exceed the monthly limit of $30.00: $30.00 already spent in 2025-06",
        });
    });

    it("reports a failed refill instead of retrying it, until asked to retry", function () {
        const declined = situation({ failed: { status: "declined", message: "the card was declined", usdCents: 1000 } });
        assert.deepEqual(decideRefill(declined), {
            charge: false,
            cause: "payment-failed",
            reason:
                "the last refill of $10.00 was declined: the card was declined. It is not retried automatically: " +
                "update the payment method, then retry the refill (flow-nexus billing refill --retry)",
        });
        const unauthenticated = decideRefill(situation({ failed: { status: "authentication_required", usdCents: 1000 } }));
        assert.match(unauthenticated.reason, /^the last refill of \$10\.00 needs the customer's authentication\. It is not retried automatically/);
        assert.equal(decideRefill({ ...declined, retryFailed: true }).charge, true);
        assert.deepEqual(decideRefill({ ...declined, balance: 80 }), {
            charge: false,
            cause: "above-threshold",
            reason: "balance 80 is at or above the threshold 50",
        });
    });
});
