/** What a realtime subscription is: every input with its type, bounds, default and replace rule, written once. */
import type { Backend } from "../runtime/crud";
import { backendRef, field, list, oneOf, tags, text, z } from "../runtime/schema";

export const schema = z.object({
    table: field(
        text({ pattern: "^[a-z_][a-z0-9_]{0,62}\\.[a-z_][a-z0-9_]{0,62}$", allowed: "schema.table, both lowercase Postgres identifiers (e.g. app.messages)" }),
        { description: "The table whose changes it delivers; another table is another subscription.", replaces: true },
    ),
    events: field(list(oneOf(["INSERT", "UPDATE", "DELETE", "*"]), { minItems: 1 }).default(["*"]), { description: "The change events subscribers receive." }),
    filter: field(
        text({
            pattern: "^[a-z_][a-z0-9_]*=(eq|neq|lt|lte|gt|gte|in)\\..+$",
            allowed: "column=op.value with op one of eq, neq, lt, lte, gt, gte, in (e.g. room_id=eq.42)",
        }).optional(),
        { description: "A Supabase-style row filter; none: every row." },
    ),
    // On the cloud the round trip that proves it goes through Supabase Realtime, with the service-role key.
    backend: backendRef(["local", "cloud"], ["supabaseUrl", "supabaseServiceRoleKey", "databaseUrl"]),
    tags: tags(),
});

export type Inputs = z.output<typeof schema>;

export interface Outputs extends Inputs {
    subscriptionId: string;
    /** Whether the table is in the supabase_realtime publication and a change comes back through realtime, right now. */
    active: boolean;
}

export type SubscriptionBackend = Backend<Inputs, Outputs>;
