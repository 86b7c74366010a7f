/** What other parts of the platform (the gateway) use of users: finding an account and checking its password. */
import type { Pool } from "pg";
import type { Row } from "./local";
import { verifyPassword } from "./password";

/** An account as the gateway's auth shows it (never its password hash). */
export interface Account {
    id: string;
    email: string;
    fullName: string | null;
    metadata: Record<string, string>;
    createdAt: Date;
    updatedAt: Date;
}


const account = (r: Row): Account => ({ id: r.id, email: r.email, fullName: r.full_name, metadata: r.metadata, createdAt: r.created_at, updatedAt: r.updated_at });

async function rows(pool: Pool, where: string, value: string): Promise<Row[]> {
    // No users table yet: the stack has no PlatformUser, so no account.
    return (await pool.query<Row>(`select * from flow_nexus.users where ${where} = $1`, [value]).catch(() => ({ rows: [] as Row[] }))).rows;
}

/** The account with this email whose password is `password`, or undefined. */
export async function signIn(pool: Pool, email: string, password: string): Promise<Account | undefined> {
    const [found] = await rows(pool, "lower(email)", email.toLowerCase());
    return found && (await verifyPassword(password, found.password_hash)) ? account(found) : undefined;
}

export async function accountById(pool: Pool, id: string): Promise<Account | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [found] = await rows(pool, "id", id);
    return found && account(found);
}
