// A dependency-free HTTP app: GET / greets with $APP_MESSAGE, GET /health answers {"status":"ok"},
// GET /links says what the deployment linked it to (names and attributes, never a secret).
// It listens on $PORT (set by the Deployment) on $HOST (default 127.0.0.1).
"use strict";
const http = require("http");

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";
const message = process.env.APP_MESSAGE || "Hello from flow-nexus";
const startedAt = new Date().toISOString();

/** What the Deployment's links gave this app: the linked resources, the API URL, and which secrets are set (never their values). */
function links() {
    let resources = {};
    try {
        resources = JSON.parse(process.env.FLOW_NEXUS_RESOURCES || "{}");
    } catch {
        resources = { error: "FLOW_NEXUS_RESOURCES is not JSON" };
    }
    const set = (name) => (process.env[name] ? "set" : "not set");
    return {
        resources,
        databaseUrl: set("DATABASE_URL"),
        supabaseUrl: process.env.SUPABASE_URL || "not set",
        supabaseAnonKey: set("SUPABASE_ANON_KEY"),
        supabaseServiceRoleKey: set("SUPABASE_SERVICE_ROLE_KEY"),
    };
}

function escapeHtml(text) {
    return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function send(res, status, type, body) {
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
    res.end(body);
}

const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD");
        return send(res, 405, "application/json", JSON.stringify({ error: "method not allowed" }));
    }
    if (pathname === "/health") {
        return send(res, 200, "application/json", JSON.stringify({ status: "ok", uptimeSeconds: Math.round(process.uptime()), startedAt }));
    }
    if (pathname === "/links") {
        return send(res, 200, "application/json", JSON.stringify(links()));
    }
    if (pathname === "/") {
        const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>flow-nexus app</title></head>
<body>
<h1>${escapeHtml(message)}</h1>
<p>Deployed by flow-nexus. Started at ${startedAt}. Health: <a href="/health">/health</a>. Linked to: ${
            escapeHtml(Object.keys(links().resources).join(", ") || "nothing")
        } (<a href="/links">/links</a>)</p>
</body>
</html>
`;
        return send(res, 200, "text/html; charset=utf-8", page);
    }
    return send(res, 404, "application/json", JSON.stringify({ error: "not found", path: pathname }));
});

server.listen(port, host, () => console.log(`listening on http://${host}:${port}`));

// Stop promptly when the Deployment (or the sandbox) stops us.
for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
        console.log(`${signal}: exiting`);
        server.close();
        process.exit(0);
    });
}
