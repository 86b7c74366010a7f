/**
 * The cloud backends' credentials: read from stack config by the providers'
 * `configure` (the engine calls it before any other method, in the provider
 * process) and kept in this module only. They are never inputs or outputs,
 * so they never reach state and never take part in `diff`: rotating one
 * changes nothing in the cloud and replaces nothing. They are never captured
 * by the serialized provider either (the shell in ./load names a type only).
 *
 * The dynamic-provider host prints every error it gets with its stack, so
 * errors leave the providers through {@link scrubError}.
 */
import type * as pulumi from "@pulumi/pulumi";

/** A credential: its stack config key, whether it is a secret, and what it is for. */
interface CredentialSpec {
    key: string;
    secret: boolean;
    what: string;
    example: string;
    /** A setting no backend requires (a default applies without it). */
    optional?: true;
}

/** Every credential a cloud backend may need, by name. */
export const CREDENTIALS = {
    e2bApiKey: { key: "flow-nexus:e2bApiKey", secret: true, what: "the E2B API key (sandboxes, deployments, monitors)", example: "e2b_..." },
    supabaseUrl: { key: "flow-nexus:supabaseUrl", secret: false, what: "the Supabase project URL (storage, auth)", example: "https://<project-ref>.supabase.co" },
    supabaseAnonKey: {
        key: "flow-nexus:supabaseAnonKey",
        secret: true,
        what: "the Supabase anon key (given to linked apps as SUPABASE_ANON_KEY)",
        example: "<anon key from Project Settings > API>",
    },
    supabaseServiceRoleKey: {
        key: "flow-nexus:supabaseServiceRoleKey",
        secret: true,
        what: "the Supabase service-role key (storage and auth admin APIs)",
        example: "<service-role key from Project Settings > API>",
    },
    databaseUrl: {
        key: "flow-nexus:databaseUrl",
        secret: true,
        what: "the Postgres connection string (schemas, realtime, audit log, ledger)",
        example: "postgresql://postgres:<password>@db.<project-ref>.supabase.co:5432/postgres",
    },
    stripeSecretKey: { key: "flow-nexus:stripeSecretKey", secret: true, what: "the Stripe secret key (payments)", example: "sk_live_..." },
    // Not a credential, and optional: where the Stripe API is (stripe-mock, a proxy); Stripe's own by default.
    stripeApiBase: {
        key: "flow-nexus:stripeApiBase",
        secret: false,
        what: "the Stripe API's base URL (stripe-mock or a proxy; Stripe's own without it)",
        example: "http://127.0.0.1:12111",
        optional: true,
    },
} as const satisfies Record<string, CredentialSpec>;

export type CredentialName = keyof typeof CREDENTIALS;

const NAMES = Object.keys(CREDENTIALS) as CredentialName[];

/** The settings that are URLs: a value that is not one is named at preview. */
const URL_CREDENTIALS: readonly CredentialName[] = ["supabaseUrl", "stripeApiBase"];

function isHttpUrl(value: string): boolean {
    try {
        return ["http:", "https:"].includes(new URL(value).protocol);
    } catch {
        return false;
    }
}

/** What configure stored; module state of the provider process, never serialized. */
const store = new Map<CredentialName, string>();

/** Thrown when a cloud backend needs a credential the stack does not configure. */
export class MissingCredentialError extends Error {
    constructor(readonly credential: CredentialName) {
        super(missingMessage(credential));
        this.name = "MissingCredentialError";
    }
}

/** The command that sets a credential, for messages. */
export function setCommand(name: CredentialName): string {
    const { key, secret, example } = CREDENTIALS[name];
    return `pulumi config set ${secret ? "--secret " : ""}${key} '${example}'`;
}

function missingMessage(name: CredentialName): string {
    return `the cloud backend needs ${CREDENTIALS[name].what}, and stack config has no ${CREDENTIALS[name].key}: set it with \`${setCommand(name)}\``;
}

/**
 * Fills the store from the stack config the engine passes to `configure`.
 * Keys absent from config are cleared, so a removed credential is gone.
 */
export function storeCredentials(config: Pick<pulumi.dynamic.Config, "get">): void {
    for (const name of NAMES) {
        const value = config.get(CREDENTIALS[name].key)?.trim();
        if (value) store.set(name, value);
        else store.delete(name);
    }
}

/** The provider method every resource shares: `configure = configureCredentials`. */
export async function configureCredentials(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    storeCredentials(req.config);
}

/** Sets credentials directly (live tests pass their environment's; contract tests fake ones). */
export function setCredentials(values: Partial<Record<CredentialName, string | undefined>>): void {
    storeCredentials({ get: (key) => values[NAMES.find((n) => CREDENTIALS[n].key === key)!] });
}

/** The credential, or undefined when the stack does not configure it. */
export function credential(name: CredentialName): string | undefined {
    return store.get(name);
}

/** The credential; throws a message naming its config key and the command that sets it. */
export function requireCredential(name: CredentialName): string {
    const value = store.get(name);
    if (value === undefined) throw new MissingCredentialError(name);
    return value;
}

/**
 * Why a `cloud` backend cannot run here: the credentials it needs that the
 * stack does not configure (for `check`, so a preview fails before anything
 * is created). Undefined when none is missing or the kind is not `cloud`.
 */
export function missingCredentials(kind: unknown, needs: readonly CredentialName[]): string | undefined {
    if (kind !== "cloud") return undefined;
    const badUrl = URL_CREDENTIALS.find((name) => store.has(name) && !isHttpUrl(store.get(name)!));
    if (badUrl) return `${CREDENTIALS[badUrl].key} must be an http(s) URL such as ${CREDENTIALS[badUrl].example} (got ${JSON.stringify(store.get(badUrl))})`;
    const missing = needs.filter((name) => !store.has(name));
    if (missing.length === 0) return undefined;
    return `cloud needs ${missing.map((name) => CREDENTIALS[name].key).join(", ")} in stack config: ${missing.map((name) => `\`${setCommand(name)}\``).join("; ")}`;
}

/**
 * A `check` rule for the `backend` input: a `cloud` backend needs these
 * credentials in stack config (the engine calls `configure` before `check`,
 * so a preview reports what is missing before anything is created).
 */
export function cloudCredentials(needs: readonly CredentialName[]): (value: unknown) => string | undefined {
    return (value) => missingCredentials((value as { kind?: unknown } | undefined)?.kind, needs);
}

const SHORTEST_SCRUBBED = 6;

/** The strings that must never be shown: each secret credential, and the parts of a connection string that are. */
function secretsToHide(): string[] {
    const hidden = new Set<string>();
    for (const name of NAMES) {
        const value = store.get(name);
        if (!value || !CREDENTIALS[name].secret) continue;
        hidden.add(value);
        if (name === "databaseUrl") {
            try {
                const url = new URL(value);
                if (url.password) {
                    hidden.add(url.password);
                    hidden.add(decodeURIComponent(url.password));
                }
            } catch {
                // Not a URL (a key=value string): the whole value is hidden above.
            }
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    return [...hidden].filter((s) => s.length >= SHORTEST_SCRUBBED).sort((a, b) => b.length - a.length);
}

/** The text with every configured secret replaced by `[secret]`. */
export function scrubText(text: string): string {
    let scrubbed = text;
    for (const secret of secretsToHide()) scrubbed = scrubbed.split(secret).join("[secret]");
    return scrubbed;
}

/**
 * Scrubs an error in place and returns it. In place, because the host
 * reads more than the message: an error carrying `id` and `properties` is a
 * partially created resource that the engine must record.
 */
export function scrubError<E>(err: E): E {
    if (err instanceof Error) {
        err.message = scrubText(err.message);
        if (err.stack) err.stack = scrubText(err.stack);
        const cause = (err as { cause?: unknown }).cause;
        if (cause !== undefined && cause !== err) scrubError(cause);
    } else if (typeof err === "string") {
        return scrubText(err) as E;
    }
    return err;
}
