/**
 * The cloud services' documented failures, mapped to one vocabulary and to
 * messages a user can act on: which call failed, what the service said, and
 * what to do (which config key to fix, to wait and run again). Each SDK
 * reports them its own way: E2B throws named error classes, Supabase returns
 * `{ error }` values with an HTTP status, Stripe throws typed errors,
 * node-postgres throws SQLSTATE codes.
 */
import { CredentialName, scrubError, scrubText, setCommand } from "./credentials";

/** What went wrong, whatever the service. */
export type Failure = "not-found" | "rate-limited" | "unauthorized" | "conflict" | "unavailable" | "timeout" | "invalid" | "other";

export type Service = "E2B" | "Supabase" | "Stripe" | "Postgres";

/**
 * A failed call to a cloud service; `failure` says what kind, the message
 * what to do. Scrubbed of credentials when made (a service may quote the key
 * it refused), since not every caller is a provider that scrubs on the way out.
 */
export class CloudError extends Error {
    constructor(
        readonly service: Service,
        readonly failure: Failure,
        message: string,
        readonly status?: number,
        cause?: unknown,
    ) {
        super(scrubText(message), cause === undefined ? undefined : { cause: scrubError(cause) });
        this.name = "CloudError";
        if (this.stack) this.stack = scrubText(this.stack);
    }
}

/** Whether `err` is a CloudError for something that is not there. */
export function isNotFound(err: unknown): boolean {
    return err instanceof CloudError && err.failure === "not-found";
}

const CREDENTIALS_OF: Record<Service, CredentialName[]> = {
    E2B: ["e2bApiKey"],
    Supabase: ["supabaseUrl", "supabaseServiceRoleKey"],
    Stripe: ["stripeSecretKey"],
    Postgres: ["databaseUrl"],
};

/** Builds the CloudError for a failure: the message depends on the kind, not on the service. */
export function cloudError(service: Service, failure: Failure, what: string, detail: string, status?: number, cause?: unknown): CloudError {
    const http = status !== undefined ? `HTTP ${status}: ` : "";
    const said = `${service} answered ${http}${detail}`;
    let message: string;
    switch (failure) {
        case "unauthorized":
            message =
                `${what} failed: ${service} refused the credentials (${said}). ` +
                `Check ${CREDENTIALS_OF[service].map((name) => `\`${setCommand(name)}\``).join(" and ")}; nothing was changed`;
            break;
        case "rate-limited":
            message = `${what} failed: ${service} is rate-limiting this account (${said}). Nothing was changed by this call: wait a minute, then run it again`;
            break;
        case "unavailable":
            message = `${what} failed: ${service} is unavailable (${said}). Run it again later`;
            break;
        case "not-found":
            message = `${what} failed: not found on ${service} (${said})`;
            break;
        case "timeout":
            message = `${what} failed: ${service} did not answer in time (${said}). Run it again; a command that takes longer needs a longer timeout`;
            break;
        case "invalid":
            message = `${what} failed: ${service} refused the request as invalid (${said}). Check the resource's inputs against what your ${service} plan allows`;
            break;
        default:
            message = `${what} failed: ${said}`;
    }
    return new CloudError(service, failure, message, status, cause);
}

function failureOfStatus(status: number | undefined): Failure {
    if (status === 401 || status === 403) return "unauthorized";
    if (status === 404) return "not-found";
    if (status === 409) return "conflict";
    if (status === 429) return "rate-limited";
    if (status === 502 || status === 503 || status === 504) return "unavailable";
    return "other";
}

/** An error thrown by the E2B SDK (named classes: AuthenticationError, RateLimitError, …). */
export function e2bError(err: unknown, what: string): CloudError {
    if (err instanceof CloudError) return err;
    const e = err as { name?: string; message?: string; statusCode?: number };
    const byName: Record<string, Failure> = {
        AuthenticationError: "unauthorized",
        RateLimitError: "rate-limited",
        NotFoundError: "not-found",
        SandboxNotFoundError: "not-found",
        FileNotFoundError: "not-found",
        ServiceBusyError: "unavailable",
        // The SDK's own classes (e2b: errors.ts): a request or command past its timeout, and arguments E2B refused.
        TimeoutError: "timeout",
        InvalidArgumentError: "invalid",
    };
    const failure = byName[e?.name ?? ""] ?? failureOfStatus(e?.statusCode);
    const status = e?.statusCode ?? { unauthorized: 401, "rate-limited": 429, "not-found": 404, unavailable: 503, invalid: 400 }[failure as string];
    return cloudError("E2B", failure, what, e?.message ?? String(err), status, err);
}

/** The `error` value a Supabase call returned (storage: `statusCode` is a string code; auth: `code`). */
export function supabaseError(error: unknown, what: string): CloudError {
    if (error instanceof CloudError) return error;
    const e = error as { message?: string; status?: number; statusCode?: string; code?: string; name?: string };
    // Storage answers some errors with HTTP 400 and the real code in the body's statusCode.
    const coded = Number(e?.statusCode);
    const status = Number.isInteger(coded) && coded >= 400 ? coded : e?.status;
    let failure = failureOfStatus(status);
    if (e?.code === "user_not_found" || /not found/i.test(e?.message ?? "")) failure = "not-found";
    if (e?.code === "over_request_rate_limit") failure = "rate-limited";
    // A fetch that never got an answer (DNS, refused connection) has no status.
    if (status === undefined && (e?.name === "StorageUnknownError" || e?.name === "AuthRetryableFetchError")) failure = "unavailable";
    return cloudError("Supabase", failure, what, e?.message ?? String(error), status, error);
}

/** An error thrown by the Stripe SDK (`type`: StripeCardError, StripeRateLimitError, …). */
export function stripeError(err: unknown, what: string): CloudError {
    if (err instanceof CloudError) return err;
    const e = err as { type?: string; message?: string; statusCode?: number; code?: string };
    const byType: Record<string, Failure> = {
        StripeAuthenticationError: "unauthorized",
        StripePermissionError: "unauthorized",
        StripeRateLimitError: "rate-limited",
        StripeConnectionError: "unavailable",
        StripeAPIError: "unavailable",
        StripeIdempotencyError: "conflict",
    };
    let failure = byType[e?.type ?? ""] ?? failureOfStatus(e?.statusCode);
    if (e?.code === "resource_missing") failure = "not-found";
    return cloudError("Stripe", failure, what, e?.message ?? String(err), e?.statusCode, err);
}

/** An error of node-postgres talking to the cloud database: SQLSTATE codes, or the socket's. */
export function databaseError(err: unknown, what: string): CloudError {
    if (err instanceof CloudError) return err;
    const e = err as { code?: string; message?: string };
    const code = e?.code ?? "";
    const failure: Failure =
        code === "28P01" || code === "28000"
            ? "unauthorized"
            : code === "53300" || code === "53400"
              ? "rate-limited"
              : code === "3D000"
                ? "not-found"
                : ["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET", "57P03"].includes(code)
                  ? "unavailable"
                  : "other";
    return cloudError("Postgres", failure, what, `${e?.message ?? String(err)}${code ? ` (${code})` : ""}`, undefined, err);
}
