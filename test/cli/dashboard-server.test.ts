/**
 * The dashboard's HTTP server and JSON API on its own: the token in each of
 * its three forms, the Host check, every error as JSON with its status, and
 * the event stream's first documents. The stack behind it is a stand-in that
 * answers what StackSource would (or throws what the backends throw), so
 * each rule is tried without an engine; test/e2e/dashboard.test.ts tries the
 * same server on a real stack in a real browser.
 */
import { strict as assert } from "assert";
import * as http from "http";
import { CliError, ExitCode, UsageError } from "../../cli/errors";
import { Feed } from "../../cli/dashboard/feed";
import { Dashboard, startDashboard } from "../../cli/dashboard/server";
import type { StackSource } from "../../cli/dashboard/source";

/** What the stand-in stack answers for a topic: a document, or an error to throw. */
const answers: Record<string, () => unknown> = {};

const source = {
    stack: "unit",
    status: async () => answers.status(),
    app: async () => answers.app(),
    billing: async () => answers.billing(),
    audit: async () => [{ at: new Date(0), stack: "unit", urn: "urn:x::Sandbox::s", type: "Sandbox", action: "create", changed: [] }],
    logSources: async () => [],
    tailChanges: async () => {
        throw new CliError("the stack's gateway is not running", ExitCode.ServiceDown);
    },
} as unknown as StackSource;

function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method, headers }, (res) => {
            let body = "";
            res.on("data", (c: Buffer) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        });
        req.on("error", reject);
        req.end();
    });
}

describe("cli: the dashboard's server and JSON API", function () {
    let dashboard: Dashboard;
    let base: string;
    const auth = (): Record<string, string> => ({ authorization: `Bearer ${dashboard.token}` });
    const error = async (path: string, headers: Record<string, string> = auth(), method = "GET") => {
        const answer = await get(`${base}${path}`, headers, method);
        assert.equal(answer.headers["content-type"], "application/json; charset=utf-8");
        const { error: e } = JSON.parse(answer.body);
        assert.equal(e.status, answer.status);
        return { status: answer.status, message: e.message as string, headers: answer.headers };
    };

    before(async function () {
        answers.status = () => ({ stack: "unit", healthy: true });
        answers.app = () => ({ url: null });
        answers.billing = () => ({ balance: { credits: 1 } });
        dashboard = await startDashboard({ source, feed: new Feed(source, 60_000), host: "127.0.0.1", port: 0 });
        base = `http://127.0.0.1:${dashboard.port}`;
    });
    after(async function () {
        await dashboard?.close();
    });

    it("prints a loopback URL with a long random token, and takes the token as ?token=, a Bearer header or the page's cookie", async function () {
        assert.match(dashboard.url, new RegExp(`^http://127\\.0\\.0\\.1:${dashboard.port}/\\?token=[A-Za-z0-9_-]{32}$`));
        assert.equal((await get(`${base}/api/status?token=${dashboard.token}`)).status, 200);
        assert.equal((await get(`${base}/api/status`, auth())).status, 200);
        const page = await get(dashboard.url);
        assert.equal(page.status, 200);
        assert.match(page.body, /<title>flow-nexus dashboard<\/title>/);
        const cookie = String(page.headers["set-cookie"]).split(";")[0];
        assert.match(String(page.headers["set-cookie"]), /HttpOnly; SameSite=Strict; Path=\//);
        assert.equal((await get(`${base}/assets/dashboard.js`, { cookie })).status, 200);
        assert.match((await get(`${base}/assets/uplot.js`, { cookie })).body, /uPlot/, "the chart library, from node_modules");
        assert.match(String(page.headers["content-security-policy"]), /default-src 'self'/);
    });

    it("refuses a missing or wrong token (401) and a foreign Host (403), before reading anything", async function () {
        let read = 0;
        answers.status = () => (read++, { stack: "unit" });
        const none = await error("/api/status", {});
        assert.equal(none.status, 401);
        assert.match(none.message, /needs its token/);
        assert.equal(none.headers["www-authenticate"], 'Bearer realm="flow-nexus dashboard"');
        assert.equal((await error("/api/status", { authorization: `Bearer ${dashboard.token.slice(1)}x` })).status, 401);
        assert.equal((await error(`/api/status?token=${encodeURIComponent(dashboard.token + "x")}`, {})).status, 401);
        const rebound = await error("/api/status", { ...auth(), host: `evil.test:${dashboard.port}` });
        assert.deepEqual([rebound.status, rebound.message], [403, `Host evil.test:${dashboard.port} is not this dashboard's address`]);
        assert.equal((await error("/api/status", { ...auth(), host: "localhost:1" })).status, 403, "another port is another address");
        assert.equal(read, 0);
        assert.equal((await get(`${base}/api/status`, { ...auth(), host: `localhost:${dashboard.port}` })).status, 200, "localhost names it too");
    });

    it("bad requests: unknown paths and parameters, bad values and methods, each a JSON error with its status", async function () {
        const unknown = await error("/api/nope");
        assert.deepEqual([unknown.status, unknown.message], [404, "no such endpoint /api/nope: see /api for the list"]);
        assert.equal((await error("/favicon.ico")).status, 404);
        assert.equal((await error("/../../etc/passwd")).status, 404);
        assert.equal((await error("/api/app?x=1")).message, "unknown parameter x: /api/app takes no parameters");
        assert.equal((await error("/api/audit?action=rename")).message, 'action must be one of create, update, delete (got "rename")');
        assert.equal((await error("/api/audit?since=soon")).status, 400);
        assert.equal((await error("/api/audit?limit=-3")).status, 400);
        assert.equal((await error("/api/logs?lines=many")).message, 'lines must be a whole number from 0 to 10000 (got "many")');
        const post = await error("/api/status", auth(), "POST");
        assert.deepEqual([post.status, post.headers.allow], [405, "GET, HEAD"]);
        assert.equal((await error("/api/status", auth(), "DELETE")).status, 405);
    });

    it("a backend's error keeps its meaning: usage 400, a missing part 404, a service down 503, anything else 500", async function () {
        const cases: Array<[Error, number]> = [
            [new UsageError("--since must be…"), 400],
            [new CliError("stack unit has no monitoring.monitorId output", ExitCode.NoStack), 404],
            [new CliError("the stack's PostgreSQL is not running", ExitCode.ServiceDown), 503],
            [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }), 503],
            [new Error("something broke"), 500],
        ];
        for (const [thrown, status] of cases) {
            answers.app = () => {
                throw thrown;
            };
            const answer = await error("/api/app");
            assert.equal(answer.status, status, thrown.message);
            assert.match(answer.message, new RegExp(thrown.message.split(" ")[0]));
            assert.doesNotMatch(answer.message, /\n\s+at /, "never a stack trace");
        }
    });

    it("the event stream sends every topic's document at once, and a failing topic as its one-line error", async function () {
        answers.app = () => ({ url: "http://127.0.0.1:1" });
        const events = await new Promise<string>((resolve, reject) => {
            const req = http.get(`${base}/api/events`, { headers: auth() }, (res) => {
                assert.equal(res.headers["content-type"], "text/event-stream; charset=utf-8");
                let text = "";
                res.on("data", (c: Buffer) => {
                    text += c;
                    if (/event: realtime\n/.test(text) && /event: billing\n/.test(text)) {
                        req.destroy();
                        resolve(text);
                    }
                });
            });
            req.on("error", (err) => (err.message === "socket hang up" ? undefined : reject(err)));
        });
        const documents = Object.fromEntries([...events.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => [m[1], JSON.parse(m[2])]));
        assert.deepEqual(documents.app, { url: "http://127.0.0.1:1" });
        assert.equal(documents.audit.entries.length, 1);
        assert.deepEqual(documents.realtime, { error: "the stack's gateway is not running" });
    });
});
