/**
 * `flow-nexus dashboard` against a real dev stack, as a user runs it: the
 * command in its own process, the page in headless Chromium (Debian's,
 * driven by playwright-core), the JSON API with plain HTTP. The stack's
 * monitor probes every 3 s and restarts the app after 3 failures, so a
 * killed app is seen red and then restarted within seconds. Screenshots go
 * to test/output/.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import { promises as fs } from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { Browser, chromium, Page } from "playwright-core";
import { balance, debit } from "../../providers/billing/ledger";
import { readDeployment } from "../../providers/deployment/record";
import { isListening } from "../../providers/runtime/ports";
import { withDatabase } from "../../providers/runtime/postgres";
import { isAlive, processRef, waitUntil } from "../../providers/runtime/process";
import { chromiumPath, cliEnv, PROJECT_DIR, runCli, SCREENSHOTS, TestStack } from "./harness";

const PASSPHRASE = "dashboard-e2e-passphrase";
const INTERVAL_SECONDS = 3;

/** A GET (or another method) of the dashboard, with its status, headers and JSON body. */
function request(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method: opts.method ?? "GET", headers: opts.headers }, (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c));
            res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: res.headers["content-type"]?.startsWith("application/json") ? JSON.parse(text) : text }));
        });
        req.on("error", reject);
        req.end();
    });
}

/** The processes under `pid`, from /proc. */
async function descendants(pid: number): Promise<number[]> {
    const parents = new Map<number, number>();
    for (const entry of await fs.readdir("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const stat = await fs.readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid) parents.set(Number(entry), ppid);
    }
    const found: number[] = [];
    const walk = (parent: number) => {
        for (const [child, ppid] of parents) if (ppid === parent) found.push(child), walk(child);
    };
    walk(pid);
    return found;
}

describe("flow-nexus dashboard: a live page of a real dev stack, in a real browser", function () {
    let stack: TestStack;
    let env: NodeJS.ProcessEnv;
    let dataDir: string;
    let scratch: string;
    let outputs: Record<string, any>;
    let dashboard: ChildProcess;
    let stderr = "";
    let url: string;
    let base: string;
    let token: string;
    let port: number;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    const api = (pathAndQuery: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => request(`${base}${pathAndQuery}`, { headers });
    const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `dashboard-${name}.png`), fullPage: true });

    before(async function () {
        scratch = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-dashboard-"));
        stack = await TestStack.create(PROJECT_DIR, {
            secrets: { "flow-nexus:password": "e2e-password-for-the-dashboard" },
            config: {
                "flow-nexus:app.template": "realtime-notes",
                "flow-nexus:realtime.table": "notes",
                "flow-nexus:monitoring.intervalSeconds": String(INTERVAL_SECONDS),
                "flow-nexus:monitoring.consecutiveFailures": "3",
            },
            env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
        });
        env = cliEnv(stack, PASSPHRASE);
        await stack.up();
        outputs = await stack.outputs();
        dataDir = path.join(PROJECT_DIR, ".flow-nexus", "stacks", stack.name);

        dashboard = spawn(process.execPath, [path.join(PROJECT_DIR, "cli", "bin.js"), "dashboard", "--stack", stack.name, "--refresh", "1", "--json"], {
            cwd: scratch,
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        dashboard.stdout!.on("data", (c: Buffer) => (stdout += c));
        dashboard.stderr!.on("data", (c: Buffer) => (stderr += c));
        assert.ok(await waitUntil(() => stdout.includes("\n"), 30_000), `the dashboard printed its URL: ${stderr}`);
        ({ url, token, port } = JSON.parse(stdout));
        base = `http://127.0.0.1:${port}`;
        assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=${token}$`));

        browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
        page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        page.on("pageerror", (err) => pageErrors.push(err.message));
        await fs.mkdir(SCREENSHOTS, { recursive: true });
    });
    after(async function () {
        await browser?.close();
        if (dashboard && dashboard.exitCode === null) dashboard.kill("SIGKILL");
        await stack?.dispose();
        if (scratch) await fs.rm(scratch, { recursive: true, force: true });
    });

    it("a request without the token, with a wrong one, or naming another Host is refused", async function () {
        const none = await request(`${base}/`);
        assert.equal(none.status, 401);
        assert.match(none.body.error.message, /needs its token/);
        assert.equal((await request(`${base}/api/status?token=not-the-token`)).status, 401);
        assert.equal((await api("/api/status", { authorization: "Bearer not-the-token" })).status, 401);
        assert.equal((await request(`${base}/assets/dashboard.js`)).status, 401, "assets too");
        const rebound = await request(`${base}/api/status`, { headers: { authorization: `Bearer ${token}`, host: "attacker.example" } });
        assert.deepEqual([rebound.status, rebound.body.error.message], [403, "Host attacker.example is not this dashboard's address"]);
        // The browser too: the page without its token shows the refusal, not the stack.
        const response = await page.goto(`${base}/`);
        assert.equal(response!.status(), 401);
        assert.match(await page.textContent("body") ?? "", /needs its token/);
    });

    it("the page shows all five phases healthy, every service up, and the app's checks", async function () {
        await page.goto(url);
        await page.waitForFunction(() => document.querySelectorAll('#phase-list li[data-healthy="true"]').length === 5, undefined, { timeout: 30_000 });
        assert.equal(await page.textContent("#verdict"), `stack ${stack.name}: healthy`);
        const services = await page.$$eval("#services tbody tr", (rows) => rows.map((r) => [(r as HTMLTableRowElement).cells[0].textContent, r.querySelector("[data-health]")?.getAttribute("data-health")]));
        assert.deepEqual(
            services.map(([s]) => s),
            ["database", "gateway", "auth", "sandbox", "storage", "schema", "realtime", "app", "monitor", "billing"],
        );
        assert.ok(services.every(([, h]) => h === "up"), JSON.stringify(services));
        assert.equal(await page.getAttribute("#app-url a", "href"), outputs.app.url);
        await page.waitForFunction(() => /^[1-9]\d* \(0 failed\)$/.test(document.getElementById("app-checks")!.textContent ?? ""), undefined, { timeout: 10_000 });
        assert.equal(await page.textContent("#connection"), "live");
        await shot("healthy");
        assert.deepEqual(pageErrors, []);
    });

    it("a change to the subscribed table appears in the realtime panel as it arrives", async function () {
        await page.waitForFunction(() => document.getElementById("realtime-state")!.textContent === "listening to app.notes", undefined, { timeout: 15_000 });
        await withDatabase(dataDir, (c) => c.query("insert into app.notes (body) values ('seen on the dashboard')"));
        try {
            const row = page.locator("#changes tbody tr", { hasText: "seen on the dashboard" });
            await row.waitFor({ timeout: 5000 });
            assert.match((await row.textContent()) ?? "", /INSERT\s*app\.notes/);
            const at = Date.parse(((await row.locator("td").first().textContent()) ?? "").replace(" ", "T"));
            assert.ok(Math.abs(at - Date.now()) < 60_000, "the commit's time is now");
        } finally {
            // The row is the test's: the destroy must find no data it would lose.
            await withDatabase(dataDir, (c) => c.query("delete from app.notes where body = 'seen on the dashboard'"));
        }
    });

    it("a billing refill appears in the balance chart and the ledger table, without a reload", async function () {
        const account = outputs.userId;
        const points = Number(await page.getAttribute("#balance-chart", "data-points"));
        await debit(dataDir, account, (await balance(dataDir, account)) - 10, "test:dashboard-spend");
        const run = await runCli(["billing", "refill", "--stack", stack.name, "--json"], env, scratch);
        assert.equal(run.code, 0, run.stderr);
        const refill = page.locator("#ledger tbody tr", { hasText: "payment" }).filter({ hasText: "succeeded" });
        await refill.first().waitFor({ timeout: 10_000 });
        assert.match((await refill.first().textContent()) ?? "", /\$10\.00/);
        // The debit and the refill's credit are two more points; the last is the balance now.
        await page.waitForFunction((before) => Number(document.getElementById("balance-chart")!.dataset.points) >= before + 2, points, { timeout: 10_000 });
        const credits = Number(await page.getAttribute("#balance", "data-credits"));
        assert.equal(credits, await balance(dataDir, account));
        assert.match((await page.getAttribute("#balance-chart", "aria-label")) ?? "", new RegExp(`${credits} credits now`));
        assert.match((await page.textContent("#month-spend")) ?? "", /^\$10\.00 of \$50\.00 in \d{4}-\d{2}$/);
        await shot("billing");
    });

    it("an update of the stack adds its audit row to the timeline without a reload", async function () {
        const before = await page.locator("#audit-timeline li").count();
        await stack.setConfig("flow-nexus:monitoring.latencyMs", "4000");
        await stack.up();
        const row = page.locator("#audit-timeline li", { hasText: "update Monitor" });
        await row.first().waitFor({ timeout: 15_000 });
        assert.ok((await page.locator("#audit-timeline li").count()) > before);
        assert.match((await row.first().textContent()) ?? "", /update Monitor flow-nexus-operations-monitor: .*thresholds/);
        // The filters narrow the timeline, by keyboard as by mouse.
        await page.getByLabel("Operation", { exact: true }).selectOption("update");
        assert.ok((await page.locator("#audit-timeline li").count()) >= 1);
        assert.equal(await page.locator('#audit-timeline li:not([data-action="update"])').count(), 0);
        await page.getByLabel("Resource", { exact: true }).fill("Sandbox");
        await page.getByLabel("Operation", { exact: true }).selectOption("");
        assert.ok(await page.locator("#audit-timeline li").count() >= 1);
        assert.equal(await page.locator("#audit-timeline li", { hasNotText: "Sandbox" }).count(), 0);
        await page.getByLabel("Resource", { exact: true }).fill("");
    });

    it("a killed app turns its phase red within two monitor intervals, and its restart shows up", async function () {
        const [deployment] = await stack.resources("Deployment");
        const record = (await readDeployment(deployment.outputs.appDir))!;
        const killedAt = Date.now();
        process.kill(-record.process!.pid, "SIGKILL");
        await page.waitForFunction(() => document.querySelector('#phase-list li[data-phase="3"]')?.getAttribute("data-healthy") === "false", undefined, {
            timeout: 2 * INTERVAL_SECONDS * 1000,
        });
        assert.ok(Date.now() - killedAt <= 2 * INTERVAL_SECONDS * 1000);
        assert.match((await page.textContent('#phase-list li[data-phase="3"]')) ?? "", /NOT healthy/);
        assert.equal(await page.getAttribute('#services tbody tr:has(th:text-is("app")) [data-health]', "data-health"), "down");
        await shot("app-down");
        // The watchdog restarts it after three failed checks: an alert that says so, the count, and the phase green again.
        await page.locator("#alerts tbody tr", { hasText: "restarted" }).first().waitFor({ timeout: 30_000 });
        await page.waitForFunction(() => Number(document.getElementById("app-restarts")!.dataset.restarts) >= 1, undefined, { timeout: 5000 });
        await page.waitForFunction(() => document.querySelector('#phase-list li[data-phase="3"]')?.getAttribute("data-healthy") === "true", undefined, { timeout: 30_000 });
        assert.match((await page.textContent("#app-checks")) ?? "", /\([1-9]\d* failed\)/);
        // The logs stream: the app's restart, and the watchdog's words about it.
        await page.locator("#log-app", { hasText: "starting" }).waitFor({ timeout: 5000 });
        await page.locator("#log-watchdog").waitFor();
        assert.match((await page.textContent("#log-watchdog")) ?? "", /restart/i);
        await shot("restarted");
        assert.deepEqual(pageErrors, []);
    });

    it("the JSON API answers each endpoint, and a bad request gets a clear JSON error with its status", async function () {
        const status = await api("/api/status");
        assert.equal(status.status, 200);
        assert.equal(status.headers["content-type"], "application/json; charset=utf-8");
        assert.equal(status.body.stack, stack.name);
        assert.deepEqual(status.body.phases.map((p: any) => p.phase), [1, 2, 3, 4, 5]);
        const app = (await api(`/api/app?token=${token}`, {})).body;
        assert.equal(app.url, outputs.app.url);
        assert.ok(app.checks.length > 0 && app.restarts >= 1);
        const billing = (await api("/api/billing")).body;
        assert.equal(billing.balance.account, outputs.userId);
        assert.ok(billing.history.some((h: any) => h.record === "payment" && h.status === "succeeded"));
        assert.ok(billing.usageByDay.length >= 1);
        const audit = (await api("/api/audit?action=update&since=1h&limit=5")).body;
        assert.ok(audit.entries.length >= 1 && audit.entries.every((e: any) => e.action === "update"));
        const logs = (await api("/api/logs?source=watchdog&lines=3")).body;
        assert.deepEqual(logs.logs.map((l: any) => [l.source, l.lines.length]), [["watchdog", 3]]);
        assert.deepEqual(Object.keys((await api("/api")).body.endpoints), ["/api/status", "/api/app", "/api/billing", "/api/audit", "/api/logs", "/api/events"]);

        const errors: Array<[string, number, RegExp]> = [
            ["/api/audit?since=yesterday", 400, /^since must be an ISO date or time, or a duration such as 1h or 30m \(got "yesterday"\)$/],
            ["/api/audit?action=drop", 400, /^action must be one of create, update, delete \(got "drop"\)$/],
            ["/api/audit?limit=0", 400, /^limit must be a whole number from 1 to 100000 \(got "0"\)$/],
            ["/api/status?verbose=1", 400, /^unknown parameter verbose: \/api\/status takes no parameters$/],
            ["/api/logs?source=kernel", 400, /^source must be one of app, watchdog, gateway \(got "kernel"\)$/],
            ["/api/nothing", 404, /^no such endpoint \/api\/nothing: see \/api for the list$/],
            ["/secrets.txt", 404, /^no such page \/secrets\.txt$/],
        ];
        for (const [pathAndQuery, code, message] of errors) {
            const answer = await api(pathAndQuery);
            assert.equal(answer.status, code, pathAndQuery);
            assert.equal(answer.body.error.status, code);
            assert.match(answer.body.error.message, message, pathAndQuery);
        }
        const post = await request(`${base}/api/status`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
        assert.deepEqual([post.status, post.headers.allow], [405, "GET, HEAD"]);
        assert.match(post.body.error.message, /read-only/);
    });

    it("Ctrl-C stops it cleanly: exit 0, the port closed, no process left", async function () {
        await page.close();
        const pid = dashboard.pid!;
        const before = [pid, ...(await descendants(pid))].map(processRef).filter((ref) => ref !== undefined);
        const exited = new Promise<number | null>((resolve) => dashboard.once("exit", resolve));
        const stoppedAt = Date.now();
        dashboard.kill("SIGINT");
        assert.equal(await exited, 0, stderr);
        assert.ok(Date.now() - stoppedAt < 5000, "it stops at once, not after its streams time out");
        assert.match(stderr, /stopping the dashboard…\n$/);
        assert.equal(await isListening(port), false, "the port is closed");
        assert.deepEqual(before.filter((ref) => isAlive(ref)).map((ref) => ref.pid), [], "neither it nor anything it started runs");
    });
});
