/**
 * The local PlatformUser backend: a users table in the stack's embedded
 * Postgres, passwords kept only as scrypt hashes.
 */
import type { ClientBase } from "pg";
import { migratePlatform } from "../runtime/platform-tables";
import { withDatabase } from "../runtime/postgres";
import { ensureGateway } from "../runtime/gateway";
import { databaseDown } from "../runtime/postgres-server";
import { hashPassword, verifyPassword } from "./password";
import type { Inputs, Outputs, Profile, UserBackend } from "./schema";

const TABLE = `
    create extension if not exists pgcrypto;
    create table if not exists flow_nexus.users (
        id uuid primary key default gen_random_uuid(),
        email text not null unique,
        password_hash text not null,
        full_name text,
        metadata jsonb not null default '{}',
        urn text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
    )`;

/** A row of flow_nexus.users. */
export interface Row {
    id: string;
    email: string;
    password_hash: string;
    full_name: string | null;
    metadata: Record<string, string>;
    urn: string;
    created_at: Date;
    updated_at: Date;
}

/** A user signs in through the stack's gateway (gateway/auth.ts): it runs while the user exists. */
async function signInServed<T>(inputs: Inputs, result: T): Promise<T> {
    await ensureGateway(dataDir(inputs));
    return result;
}

function outputs(inputs: Inputs, row: Row): Outputs {
    const profile: Profile = {
        id: row.id,
        email: row.email,
        fullName: row.full_name ?? "",
        metadata: row.metadata,
        createdAt: row.created_at.toISOString(),
    };
    return { ...inputs, userId: row.id, profile };
}

async function byEmail(client: ClientBase, email: string): Promise<Row | undefined> {
    return (await client.query<Row>("select * from flow_nexus.users where email = $1", [email])).rows[0];
}

function dataDir(inputs: Inputs): string {
    return inputs.backend.dataDir!;
}

export const backend: UserBackend = {
    down: (_id, state) => databaseDown(state.backend),

    async create(inputs) {
        return withDatabase(dataDir(inputs), async (client) => {
            await migratePlatform(client, "users", [TABLE]);
            const existing = await byEmail(client, inputs.email);
            if (existing) {
                // The account exists (an interrupted run, or it was registered
                // before): log in with the given password and adopt it, as the
                // process does ("email already exists: use login instead").
                if (!(await verifyPassword(inputs.password, existing.password_hash))) {
                    throw new Error(
                        `a user with email ${inputs.email} already exists and the given password does not match it: ` +
                            "use that account's password, or another email",
                    );
                }
                return backend.update(existing.id, outputs(inputs, existing), inputs);
            }
            const { rows } = await client.query<Row>(
                `insert into flow_nexus.users (email, password_hash, full_name, metadata, urn)
                 values ($1, $2, $3, $4, $5) returning *`,
                [inputs.email, await hashPassword(inputs.password), inputs.fullName ?? null, inputs.metadata, inputs.tags["flow-nexus:urn"]],
            );
            return signInServed(inputs, outputs(inputs, rows[0]));
        });
    },

    async read(id, state) {
        return withDatabase(dataDir(state), async (client) => {
            await migratePlatform(client, "users", [TABLE]);
            const row = (await client.query<Row>("select * from flow_nexus.users where id = $1", [id])).rows[0];
            if (!row) return undefined;
            // A password changed out of band shows as drift: the state's one no longer logs in.
            const password = (await verifyPassword(state.password, row.password_hash)) ? state.password : "";
            return outputs({ ...state, email: row.email, fullName: row.full_name ?? undefined, metadata: row.metadata, password }, row);
        });
    },

    async update(id, olds, news) {
        return withDatabase(dataDir(news), async (client) => {
            const passwordHash =
                olds.password === news.password && olds.userId === id ? undefined : await hashPassword(news.password);
            const { rows } = await client.query<Row>(
                `update flow_nexus.users
                    set password_hash = coalesce($2, password_hash), full_name = $3, metadata = $4, urn = $5, updated_at = now()
                  where id = $1 returning *`,
                [id, passwordHash ?? null, news.fullName ?? null, news.metadata, news.tags["flow-nexus:urn"]],
            );
            if (!rows[0]) throw new Error(`user ${id} (${news.email}) no longer exists: run pulumi refresh, then up`);
            return signInServed(news, outputs(news, rows[0]));
        });
    },

    async delete(id, state) {
        await withDatabase(dataDir(state), async (client) => {
            await migratePlatform(client, "users", [TABLE]);
            await client.query("delete from flow_nexus.users where id = $1", [id]);
        });
    },
};
