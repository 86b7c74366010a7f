/**
 * What the contract tests share: fake credentials, a real Postgres standing
 * in for the cloud database (the audit log of every cloud resource, and the
 * ledger, live there), and a provider driven the way the engine drives it.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import type * as pulumi from "@pulumi/pulumi";
import { setTransport } from "../../providers/runtime/clients";
import { CREDENTIALS, CredentialName } from "../../providers/runtime/credentials";
import { databaseUrl } from "../../providers/runtime/postgres";
import { removePostgres } from "../../providers/runtime/postgres-server";
import { tempDataDir, testTags } from "../support";

/** Credentials no real service would accept, long enough to be recognised if they ever leak. */
export const FAKE_CREDENTIALS: Record<Exclude<CredentialName, "databaseUrl" | "stripeApiBase">, string> = {
    e2bApiKey: "e2b_contract0fake0api0key0123456789",
    supabaseUrl: "https://contract-project.supabase.test",
    supabaseAnonKey: "anon-contract-fake-key-0123456789",
    supabaseServiceRoleKey: "service-role-contract-fake-key-0123456789",
    stripeSecretKey: "sk_test_contract0fake0key0123456789",
};

/** The backend ref of a cloud resource. */
export const CLOUD = { kind: "cloud" as const };

/** The stack config a provider's `configure` receives (keys like `flow-nexus:e2bApiKey`). */
export function stackConfig(values: Partial<Record<CredentialName, string>>): pulumi.dynamic.ConfigureRequest {
    const byKey = new Map<string, string | undefined>(Object.entries(values).map(([name, value]) => [CREDENTIALS[name as CredentialName].key, value]));
    return { config: { get: (key: string) => byKey.get(key), require: (key: string) => byKey.get(key)! } };
}

/**
 * A real PostgreSQL (the embedded one of the local backend, in a temp
 * folder) that the cloud backends reach through `flow-nexus:databaseUrl`.
 */
export async function cloudDatabase(): Promise<{ url: string; dataDir: string; stop(): Promise<void> }> {
    const dataDir = await tempDataDir();
    const url = await databaseUrl(dataDir);
    return {
        url,
        dataDir,
        async stop() {
            await removePostgres(dataDir);
            await fs.rm(dataDir, { recursive: true, force: true });
        },
    };
}

/** A provider as the engine calls it: configure, then check, then the operation. */
export interface Engine<I, O> {
    configure(req: pulumi.dynamic.ConfigureRequest): Promise<void>;
    check(olds: Partial<I>, news: I): Promise<pulumi.dynamic.CheckResult<I>>;
    diff(id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult>;
    create(inputs: I): Promise<pulumi.dynamic.CreateResult<O>>;
    read(id: string, props: O): Promise<pulumi.dynamic.ReadResult<O>>;
    update(id: string, olds: O, news: I): Promise<pulumi.dynamic.UpdateResult<O>>;
    delete(id: string, props: O): Promise<void>;
}

export function engine<I, O>(provider: pulumi.dynamic.ResourceProvider<I, O>): Engine<I, O> {
    return provider as unknown as Engine<I, O>;
}

/** `check` with no failures expected; the inputs with defaults applied. */
export async function checked<I>(provider: Engine<I, unknown>, news: I, olds: Partial<I> = {}): Promise<I> {
    const { inputs, failures } = await provider.check(olds, news);
    assert.deepEqual(failures ?? [], []);
    return inputs!;
}

/** Tags of a test resource on the contract-test stack. */
export function tagsOf(type: string, name: string) {
    return testTags(type, name, "contract");
}

/** Back to the real services, for whatever runs after the contract tests. */
export function restoreTransport(): void {
    setTransport(undefined);
}
