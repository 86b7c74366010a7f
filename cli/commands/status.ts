/** `flow-nexus status`: every service's health now, and the phase gates. */
import type { Command } from "../context";
import { exitCodeOf, summarize } from "../health";
import { renderTable } from "../output";

const MARK = { up: "up", unhealthy: "UNHEALTHY", down: "DOWN", unknown: "unknown" } as const;

export const status: Command = {
    name: "status",
    summary: "health of every service (a live probe of the app), sandbox, monitor and the phase gates, as a table",
    details: [
        "Each service is checked now: the database's port, the user's row, the sandbox's supervisor, the bucket,",
        "the schema's migrations, the realtime publication, a GET of the app's health endpoint, the monitor's",
        "watchdog and the credit ledger. A phase is healthy when its gate passed at the last `up` (phaseNComplete)",
        "and every service of the phase is up now.",
        "",
        "Exit code: 0 all healthy, 4 a service is down (not running, not answering, gone), 1 anything else unhealthy.",
    ].join("\n"),

    async run(ctx) {
        const outputs = await ctx.outputs();
        const backend = await ctx.backend();
        ctx.out.progress(`checking the services of stack ${ctx.stack}…`);
        const report = summarize(ctx.stack, outputs, await backend.health(outputs));
        ctx.out.data(report);
        ctx.out.text(
            renderTable(
                ["SERVICE", "PHASE", "STATUS", "DETAIL"],
                report.services.map((s) => [s.service, s.phase ?? "-", MARK[s.health], s.detail]),
            ) +
                "\n" +
                renderTable(
                    ["PHASE", "NAME", "GATE AT LAST UP", "NOW", "HEALTHY"],
                    report.phases.map((p) => [p.phase, p.name, p.recorded === null ? "-" : p.recorded ? "passed" : "FAILED", MARK[p.live], p.healthy ? "yes" : "NO"]),
                ) +
                `\nstack ${ctx.stack}: ${report.healthy ? "healthy" : "NOT healthy"}${report.workflowComplete === false ? " (workflowComplete was false at the last up)" : ""}`,
        );
        return exitCodeOf(report);
    },
};
