/** `flow-nexus realtime tail`: the change events of the stack's realtime subscription, as they happen. */
import type { Command } from "../context";
import { requireOutput } from "../outputs";
import { untilInterrupted } from "../tail";

export const realtimeTail: Command = {
    name: "realtime tail",
    summary: "print the change events of the stack's realtime subscription as they happen, until Ctrl-C",
    details: [
        "Events are received as an app receives them: through the stack's gateway, with @supabase/supabase-js, on the",
        "subscription's table, events and filter. Each prints as one line: time, event, table, then the row (old -> new",
        "for an update). --json prints one {at, type, table, new, old} object a line.",
    ].join("\n"),

    async run(ctx) {
        const outputs = await ctx.outputs();
        const subscriptionId = requireOutput(outputs.subscriptionId, "subscriptionId", ctx.stack);
        const tail = await (await ctx.backend()).tailChanges(subscriptionId, (event) => {
            ctx.out.data(event, true);
            const row = event.type === "DELETE" ? JSON.stringify(event.old) : event.type === "UPDATE" ? `${JSON.stringify(event.old)} -> ${JSON.stringify(event.new)}` : JSON.stringify(event.new);
            ctx.out.text(`${event.at} ${event.type} ${event.table} ${row}`);
        });
        ctx.out.progress(`listening to ${tail.table}${tail.filter ? ` where ${tail.filter}` : ""} (Ctrl-C to stop)…`);
        await untilInterrupted();
        await tail.stop();
        return 0;
    },
};
