/**
 * `flow-nexus stacks prune`: destroys and removes review stacks nobody has
 * updated for a while, so pull-request previews stop costing money. The
 * scheduled cleanup workflow runs it; ages come from `pulumi stack ls --json`.
 */
import { parseDuration } from "../args";
import type { Command } from "../context";
import { ExitCode, UsageError } from "../errors";
import { selectPrunable } from "../filters";
import { formatDuration, formatTime, renderTable } from "../output";

/** The line of a failed pulumi run that says why. */
function reason(output: string): string {
    const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
    return (lines.find((l) => l.startsWith("error:")) ?? lines.at(-1) ?? "no output").replace(/^error:\s*/, "");
}

export const prune: Command = {
    name: "stacks prune",
    summary: "destroy and remove the stacks named <prefix>… whose last update is older than a duration",
    options: {
        "older-than": { type: "string", value: "<duration>", description: "required: prune stacks last updated longer ago than this (e.g. 7d, 36h)" },
        prefix: { type: "string", value: "<prefix>", description: "required: only stacks whose name starts with this (e.g. review-)" },
        "dry-run": { type: "boolean", description: "list what would be pruned, change nothing" },
    },
    details: [
        "Each stack is `pulumi destroy --remove`d: its resources first, then the stack and its Pulumi.<stack>.yaml.",
        "A stack with no recorded update is kept. Works for any backend the engine is logged in to (PULUMI_BACKEND_URL).",
        "Exit code 1 when a destroy failed (the others are still pruned).",
    ].join("\n"),

    async run(ctx) {
        const olderThan = ctx.string("older-than");
        const prefix = ctx.string("prefix");
        if (olderThan === undefined) throw new UsageError("flow-nexus stacks prune needs --older-than <duration>, e.g. 7d");
        // Without a prefix, every old stack (dev, prod) would match: refuse rather than guess.
        if (!prefix) throw new UsageError("flow-nexus stacks prune needs --prefix <prefix>, e.g. review-");
        const olderThanMs = parseDuration(olderThan, "--older-than");
        const dryRun = ctx.flag("dry-run");

        ctx.out.progress(`listing the stacks in ${ctx.engine.backendUrl()}…`);
        const { prune: candidates, keep } = selectPrunable(await ctx.engine.stacks(), { prefix, olderThanMs, now: ctx.now() });
        const results: Array<{ stack: string; lastUpdate?: string; age?: string; action: string; error?: string }> = [];
        for (const c of candidates) {
            const age = formatDuration(c.ageMs);
            if (dryRun) {
                results.push({ stack: c.name, lastUpdate: c.lastUpdate, age, action: "would destroy" });
                continue;
            }
            ctx.out.progress(`destroying stack ${c.name} (last updated ${age} ago)…`);
            const run = await ctx.engine.run(["destroy", "--stack", c.name, "--yes", "--skip-preview", "--remove"]);
            if (run.code === 0) results.push({ stack: c.name, lastUpdate: c.lastUpdate, age, action: "destroyed" });
            else results.push({ stack: c.name, lastUpdate: c.lastUpdate, age, action: "failed", error: reason(`${run.stdout}\n${run.stderr}`) });
        }
        for (const k of keep) results.push({ stack: k.name, action: `kept: ${k.reason}` });

        ctx.out.data({ prefix, olderThan, dryRun, stacks: results });
        ctx.out.text(
            results.length === 0
                ? `no stacks named ${prefix}…`
                : renderTable(
                      ["STACK", "LAST UPDATE", "AGE", "ACTION"],
                      results.map((r) => [r.stack, r.lastUpdate ? formatTime(r.lastUpdate) : "-", r.age ?? "-", r.error ? `FAILED: ${r.error}` : r.action]),
                  ),
        );
        return results.some((r) => r.action === "failed") ? ExitCode.Failed : ExitCode.Ok;
    },
};
