/** `flow-nexus dashboard`: a local web page that shows the stack as it is now and as it changes. */
import { spawn } from "child_process";
import { parseCount, parsePositive } from "../args";
import type { Command } from "../context";
import { Feed } from "../dashboard/feed";
import { startDashboard } from "../dashboard/server";
import { StackSource } from "../dashboard/source";
import { untilInterrupted } from "../tail";

/** Opens `url` in the desktop's browser; a machine without one gets a warning, not an error. */
function openBrowser(url: string, warn: (message: string) => void): void {
    const command = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
    const child = spawn(command, [url], { stdio: "ignore", detached: true });
    child.on("error", (err) => warn(`could not open a browser (${command}: ${err.message}); open the URL above by hand`));
    child.unref();
}

export const dashboard: Command = {
    name: "dashboard",
    summary: "serve a live web page of the stack: phases, the app's health, billing, the audit log, logs and realtime changes",
    options: {
        port: { type: "string", short: "p", value: "<port>", description: "the port to listen on (default 0: any free port)" },
        host: { type: "string", value: "<address>", description: "the address to listen on (default 127.0.0.1: this machine only)" },
        refresh: { type: "string", value: "<seconds>", description: "how often the page's data is read again (default 2)" },
        open: { type: "boolean", description: "open the page in the desktop's browser" },
    },
    details: [
        "The URL printed carries a random token: without it every request is refused (401), so other users of the",
        "machine cannot read the stack. The page refreshes itself over Server-Sent Events; the same data is a JSON API",
        "(GET /api/status, /api/app, /api/billing, /api/audit, /api/logs, /api/events; /api lists them) for scripts,",
        "with the token as ?token= or an Authorization: Bearer header. Ctrl-C stops it. --json prints {url, port, token}.",
    ].join("\n"),

    async run(ctx) {
        const port = parseCount(ctx.string("port") ?? "0", "--port", 0, 65_535);
        const refreshMs = parsePositive(ctx.string("refresh") ?? "2", "--refresh") * 1000;
        const source = new StackSource(ctx);
        // A stack that does not exist, or was never deployed, fails here, before anything listens.
        await source.outputs();
        const feed = new Feed(source, refreshMs);
        const server = await startDashboard({ source, feed, host: ctx.string("host") ?? "127.0.0.1", port });
        ctx.out.data({ stack: ctx.stack, url: server.url, port: server.port, token: server.token }, true);
        ctx.out.text(`flow-nexus dashboard of stack ${ctx.stack}: ${server.url}`);
        ctx.out.progress("Ctrl-C to stop");
        if (ctx.flag("open")) openBrowser(server.url, (m) => ctx.out.warn(m));
        await untilInterrupted();
        ctx.out.progress("stopping the dashboard…");
        await server.close();
        return 0;
    },
};
