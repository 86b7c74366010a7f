/** What a platform user is: every input with its type, bounds, default and replace rule, written once. */
import type { Backend } from "../runtime/crud";
import { backendRef, field, names, tags, text, z } from "../runtime/schema";

// Supabase Auth's default minimum is 6; ours is stricter. bcrypt reads 72 bytes.
// The message gives no length: even that says something of a secret.
const PASSWORD = "must be 12 to 72 characters";
const password = z.string({ error: PASSWORD }).min(12, { error: PASSWORD }).max(72, { error: PASSWORD }).meta({ allowed: "12 to 72 characters" });

export const schema = z.object({
    email: field(text({ pattern: "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$", allowed: "an email address such as dev@example.com", maxLength: 254 }), {
        description: "The account's email, its identity: a new email is a new account.",
        replaces: true,
    }),
    password: field(password, { description: "Plain text only in memory: a secret in state, an scrypt hash in the users table.", secret: true }),
    fullName: field(text({ maxLength: 200 }).optional(), { description: "The name on the profile." }),
    metadata: field(names().default({}), { description: "Free-form profile fields." }),
    backend: backendRef(["local", "cloud"], ["supabaseUrl", "supabaseServiceRoleKey", "databaseUrl"]),
    tags: tags(),
});

/** The resolved inputs of a platform user. */
export type Inputs = z.output<typeof schema>;

/** The profile the platform keeps for a user (memory key flow-nexus/user-profile). */
export interface Profile {
    id: string;
    email: string;
    fullName?: string;
    metadata: Record<string, string>;
    createdAt: string;
}

export interface Outputs extends Inputs {
    userId: string;
    profile: Profile;
}

export type UserBackend = Backend<Inputs, Outputs>;
