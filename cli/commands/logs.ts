/** `flow-nexus logs [app|watchdog|gateway]`: the app's, the watchdog's and the gateway's logs, optionally followed. */
import { parseCount } from "../args";
import type { LogSource } from "../backends";
import type { Command } from "../context";
import { UsageError } from "../errors";
import { Follower, lastLines, newLines, untilInterrupted } from "../tail";

const SOURCES = ["app", "watchdog", "gateway"];
/** How often a followed log is read again. */
const POLL_MS = 250;

export const logs: Command = {
    name: "logs",
    args: "[app|watchdog|gateway]",
    summary: "the deployed app's, the monitor watchdog's and the gateway's logs (all unless one is named); --follow to keep reading",
    options: {
        follow: { type: "boolean", short: "f", description: "keep printing lines as they are written, until Ctrl-C" },
        lines: { type: "string", short: "n", value: "<n>", description: "how many of the last lines to print first (default 40)" },
    },
    details: "With several logs, each line starts with [app], [watchdog] or [gateway]. --json prints {source, file, lines}; with --follow, one {source, line} per line.",

    async run(ctx) {
        const only = ctx.args[0];
        if (only !== undefined && !SOURCES.includes(only)) throw new UsageError(`flow-nexus logs takes app, watchdog or gateway (got ${only})`);
        const count = parseCount(ctx.string("lines") ?? "40", "--lines", 0);
        const outputs = await ctx.outputs();
        const sources = (await (await ctx.backend()).logSources(outputs)).filter((s) => only === undefined || s.name === only);
        if (sources.length === 0) throw new UsageError(`stack ${ctx.stack} has no ${only} log (is monitoring deployed?)`);
        const label = (s: LogSource) => (sources.length > 1 ? `[${s.name}] ` : "");

        const followers: Array<{ source: LogSource; follower: Follower }> = [];
        const documents = [];
        for (const source of sources) {
            await source.refresh?.();
            const { lines, size } = await lastLines(source.file, count);
            if (size === 0) ctx.out.warn(`the ${source.name} log ${source.file} is empty or not written yet`);
            followers.push({ source, follower: { file: source.file, offset: size, partial: "" } });
            documents.push({ source: source.name, file: source.file, lines });
            if (ctx.flag("follow")) {
                for (const line of lines) ctx.out.data({ source: source.name, line }, true);
            }
            if (lines.length > 0) ctx.out.text(lines.map((line) => `${label(source)}${line}`).join("\n"));
        }
        if (!ctx.flag("follow")) {
            ctx.out.data({ stack: ctx.stack, logs: documents });
            return 0;
        }

        ctx.out.progress(`following ${sources.map((s) => s.file).join(" and ")} (Ctrl-C to stop)…`);
        let stopped = false;
        const interrupted = untilInterrupted().then(() => (stopped = true));
        while (!stopped) {
            for (const { source, follower } of followers) {
                await source.refresh?.();
                for (const line of await newLines(follower)) {
                    ctx.out.text(`${label(source)}${line}`);
                    ctx.out.data({ source: source.name, line }, true);
                }
            }
            await Promise.race([interrupted, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
        }
        return 0;
    },
};
