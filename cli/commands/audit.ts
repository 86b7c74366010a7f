/** `flow-nexus audit`: the audit log of every create, update and delete, filterable. */
import { parseCount, parseSince } from "../args";
import type { Command } from "../context";
import { filterAudit, resourceName } from "../filters";
import { formatTime, renderTable } from "../output";

export const audit: Command = {
    name: "audit",
    summary: "the audit log: every create, update and delete of the stack's resources (which properties, never their values)",
    options: {
        resource: { type: "string", short: "r", value: "<name|urn>", description: "only rows whose URN contains this, or whose type is this (e.g. Sandbox)" },
        since: { type: "string", value: "<when>", description: "only rows at or after this: an ISO date or time, or a duration ago (1h, 30m, 7d)" },
        limit: { type: "string", value: "<n>", description: "only the last n rows" },
    },

    async run(ctx) {
        const since = ctx.string("since") === undefined ? undefined : parseSince(ctx.string("since")!, ctx.now());
        const limit = ctx.string("limit") === undefined ? undefined : parseCount(ctx.string("limit")!, "--limit");
        const backend = await ctx.backend();
        ctx.out.progress(`reading the audit log of stack ${ctx.stack}…`);
        let rows = filterAudit(await backend.auditLog(), { resource: ctx.string("resource"), since });
        if (limit !== undefined) rows = rows.slice(-limit);
        ctx.out.data({ stack: ctx.stack, entries: rows });
        if (rows.length === 0) {
            ctx.out.text("no audit entries match");
            return 0;
        }
        ctx.out.text(
            renderTable(
                ["TIME", "ACTION", "TYPE", "RESOURCE", "CHANGED"],
                rows.map((r) => [formatTime(r.at), r.action, r.type, resourceName(r.urn), r.changed.join(", ") || "-"]),
            ),
        );
        return 0;
    },
};
