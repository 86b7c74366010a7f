// realtime-notes: serves a page that lists notes, adds one, attaches a file
// and updates live, all through @supabase/supabase-js in the browser. This
// server only hands the page its settings and the client library; it knows
// nothing of flow-nexus beyond reading what its links put in the environment.
//
// Settings, from the environment:
//   SUPABASE_URL, SUPABASE_ANON_KEY   the project (or the local gateway) and its public key
//   FLOW_NEXUS_RESOURCES              set by flow-nexus links: the schema, bucket and realtime table
//   NOTES_SCHEMA, NOTES_TABLE, NOTES_BUCKET   the same, for a run without flow-nexus
// GET /health answers {"status":"ok"}. It listens on $PORT on $HOST (default 127.0.0.1).
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";

/** Where the notes live: from the links, else from NOTES_*; the realtime table names the notes table. */
function settings(env = process.env) {
    let linked = {};
    try {
        linked = JSON.parse(env.FLOW_NEXUS_RESOURCES || "{}");
    } catch {
        linked = {};
    }
    const ofType = (type) => Object.values(linked).find((r) => r.type === type) || {};
    const [tableSchema, tableName] = (ofType("RealtimeSubscription").table || "").split(".");
    return {
        supabaseUrl: env.SUPABASE_URL || "",
        supabaseAnonKey: env.SUPABASE_ANON_KEY || "",
        schema: env.NOTES_SCHEMA || tableSchema || ofType("DatabaseSchema").schema || "public",
        table: env.NOTES_TABLE || tableName || "notes",
        bucket: env.NOTES_BUCKET || ofType("StorageBucket").bucket || "notes",
    };
}

const FILES = {
    "/": ["index.html", "text/html; charset=utf-8"],
    "/index.html": ["index.html", "text/html; charset=utf-8"],
    "/app.js": ["app.js", "text/javascript; charset=utf-8"],
    "/style.css": ["style.css", "text/css; charset=utf-8"],
};

function send(res, status, type, body) {
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
    res.end(body);
}

const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://localhost");
    if (pathname === "/health") return send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
    if (pathname === "/favicon.ico") return res.writeHead(204).end();
    // The anon key is public by design (row-level security and grants decide what it may do); never the service-role key.
    if (pathname === "/config.json") return send(res, 200, "application/json", JSON.stringify(settings()));
    if (pathname === "/vendor/supabase.js") {
        const file = require.resolve("@supabase/supabase-js/dist/umd/supabase.js");
        return send(res, 200, "text/javascript; charset=utf-8", fs.readFileSync(file));
    }
    const known = FILES[pathname];
    if (!known) return send(res, 404, "application/json", JSON.stringify({ error: `no page at ${pathname}` }));
    send(res, 200, known[1], fs.readFileSync(path.join(__dirname, "public", known[0])));
});

server.listen(port, host, () => console.log(`realtime-notes listening on http://${host}:${port}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
