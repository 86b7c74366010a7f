// Serves public/ over HTTP, plus GET /health answering {"status":"ok"}. No dependencies.
// It listens on $PORT (set by the Deployment) on $HOST (default 127.0.0.1).
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";
const root = path.join(__dirname, "public");

const TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
};

function send(res, status, type, body) {
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
    res.end(body);
}

/** The file under public/ a request path names, or undefined when it would leave public/. */
function fileFor(pathname) {
    let decoded;
    try {
        decoded = decodeURIComponent(pathname);
    } catch {
        return undefined;
    }
    const file = path.join(root, path.normalize(decoded));
    if (file !== root && !file.startsWith(root + path.sep)) return undefined;
    return decoded.endsWith("/") ? path.join(file, "index.html") : file;
}

const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD");
        return send(res, 405, "application/json", JSON.stringify({ error: "method not allowed" }));
    }
    if (pathname === "/health") return send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
    const file = fileFor(pathname);
    if (!file) return send(res, 400, "application/json", JSON.stringify({ error: "bad path" }));
    fs.stat(file, (err, stat) => {
        if (!err && stat.isDirectory()) {
            res.writeHead(301, { location: pathname + "/" });
            return res.end();
        }
        if (err || !stat.isFile()) return send(res, 404, "application/json", JSON.stringify({ error: "not found", path: pathname }));
        res.writeHead(200, { "content-type": TYPES[path.extname(file).toLowerCase()] || "application/octet-stream", "content-length": stat.size });
        if (req.method === "HEAD") return res.end();
        fs.createReadStream(file).pipe(res);
    });
});

server.listen(port, host, () => console.log(`serving ${root} on http://${host}:${port}`));

for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
        console.log(`${signal}: exiting`);
        server.close();
        process.exit(0);
    });
}
