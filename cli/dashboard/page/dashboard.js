// The flow-nexus dashboard's page: it renders what the feed (/api/events)
// sends, as it arrives. Every value goes in as text, never as HTML: logs and
// rows are the app's data. The charts are uPlot, served by the dashboard.
"use strict";

const $ = (id) => document.getElementById(id);
const LOG_LINES = 500;
const CHANGES = 100;

/** `2025-06-01 12:00:05Z`, as the CLI prints times. */
function time(at) {
    const date = new Date(at);
    return Number.isNaN(date.getTime()) ? String(at) : `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}
const credits = (n) => String(Math.round(n * 1e6) / 1e6);
const usd = (cents) => `$${(cents / 100).toFixed(2)}`;
const resourceName = (urn) => urn.slice(urn.lastIndexOf("::") + 2);

/** An element with attributes and children (strings become text). */
function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
        if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child === undefined || child === null ? "-" : String(child)));
    return node;
}

/** Replaces a table's rows; an empty table says so. */
function fillTable(id, rows) {
    const table = $(id);
    const cell = (c) => (c instanceof Element && (c.tagName === "TD" || c.tagName === "TH") ? c : el("td", {}, c));
    const empty = el("tr", { class: "empty" }, el("td", { colspan: table.tHead.rows[0].cells.length }, "none yet"));
    table.tBodies[0].replaceChildren(...(rows.length ? rows.map((cells) => el("tr", {}, ...cells.map(cell))) : [empty]));
}

const HEALTH_TEXT = { up: "up", unhealthy: "unhealthy", down: "down", unknown: "unknown" };
const badge = (health) => el("span", { class: `badge ${health}`, "data-health": health }, HEALTH_TEXT[health] ?? health);

/** Shows a topic's error in place of its panel's verdict. */
function failed(doc, target) {
    if (!doc.error) return false;
    $(target).textContent = doc.error;
    $(target).classList.add("error");
    return true;
}

// ---- phases and services

function renderStatus(report) {
    if (failed(report, "verdict")) return;
    $("verdict").classList.remove("error");
    $("stack-name").textContent = `stack ${report.stack}`;
    $("verdict").textContent = report.healthy ? `stack ${report.stack}: healthy` : `stack ${report.stack}: NOT healthy`;
    $("verdict").dataset.healthy = String(report.healthy);
    $("checked-at").textContent = time(report.checkedAt);
    $("phase-list").replaceChildren(
        ...report.phases.map((p) => {
            const gate = p.recorded === null ? "not recorded" : p.recorded ? "passed" : "FAILED";
            return el(
                "li",
                { class: `phase ${p.healthy ? "healthy" : "unhealthy"}`, "data-phase": p.phase, "data-healthy": String(p.healthy), "aria-label": `phase ${p.phase} ${p.name}: ${p.healthy ? "healthy" : "not healthy"}` },
                el("h3", {}, `${p.phase}. ${p.name}`),
                el("p", { class: "verdict" }, p.healthy ? "healthy" : "NOT healthy"),
                el("p", {}, `gate at last up: ${gate}`),
                el("p", {}, "now: ", badge(p.live)),
            );
        }),
    );
    fillTable(
        "services",
        report.services.map((s) => [el("th", { scope: "row" }, s.service), s.phase ?? "-", el("td", {}, badge(s.health)), s.detail]),
    );
}

// ---- charts

const charts = new Map();

/** The x range of the last `span` seconds, up to now. */
const lastSeconds = (span) => () => {
    const now = Date.now() / 1000;
    return [now - span, now];
};

/** The x range: the data's, widened to `minSpan` seconds around it (one point still gets a readable time axis). */
const around = (minSpan) => (_plot, min, max) => {
    if (min === null || max === null) return lastSeconds(minSpan)();
    const pad = Math.max(0, minSpan - (max - min)) / 2;
    return [min - pad, max + pad];
};

/** Draws (or redraws) a uPlot chart in `id` with `data` ([x seconds, ...series]) over the x range `range`. */
function chart(id, series, data, label, range) {
    const box = $(id);
    box.setAttribute("aria-label", label);
    if (typeof uPlot === "undefined") return;
    const width = Math.max(280, box.clientWidth || 600);
    const old = charts.get(id);
    if (old && old.series.length === series.length + 1) {
        old.setData(data);
        return;
    }
    old?.destroy();
    const options = {
        width,
        height: 220,
        scales: { x: { time: true, range } },
        series: [{}, ...series],
        axes: [{ stroke: "#1f2933" }, { stroke: "#1f2933", size: 64 }],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
    };
    charts.set(id, new uPlot(options, data, box));
}

window.addEventListener("resize", () => {
    for (const [id, plot] of charts) plot.setSize({ width: Math.max(280, $(id).clientWidth || 600), height: 220 });
});

// ---- the app

function renderApp(report) {
    if (failed(report, "app-monitor")) return;
    $("app-monitor").classList.remove("error");
    $("app-url").replaceChildren(report.url ? el("a", { href: report.url, target: "_blank", rel: "noopener" }, report.url) : "-");
    $("app-monitor").textContent = report.monitor
        ? `${report.monitor.id}, every ${report.monitor.intervalSeconds ?? "?"} s, alerts after ${report.monitor.consecutiveFailures ?? "?"} failures in a row`
        : "no monitor deployed";
    $("app-checks").textContent = `${report.checks.length} (${report.failures} failed)`;
    $("app-restarts").textContent = String(report.restarts);
    $("app-restarts").dataset.restarts = String(report.restarts);
    const xs = report.checks.map((c) => Date.parse(c.at) / 1000);
    const latency = report.checks.map((c) => (c.ok ? c.latencyMs : null));
    const failures = report.checks.map((c) => (c.ok ? null : 0));
    const latest = report.checks.at(-1);
    chart(
        "health-chart",
        [
            { label: "latency (ms)", stroke: "#1d4ed8", width: 2, spanGaps: false },
            { label: "failed", stroke: "#b91c1c", width: 0, points: { show: true, size: 8, fill: "#b91c1c" } },
        ],
        [xs, latency, failures],
        latest
            ? `${report.checks.length} checks in the last hour, ${report.failures} failed; the last at ${time(latest.at)} ${latest.ok ? `answered in ${latest.latencyMs} ms` : `failed: ${latest.error ?? latest.statusCode}`}`
            : "no checks in the last hour",
        lastSeconds(3600),
    );
    fillTable(
        "alerts",
        report.alerts.map((a) => [time(a.at), a.target, a.failures, a.restarted ? "restarted" : "no", a.message]),
    );
}

// ---- billing

function renderBilling(report) {
    if (failed(report, "balance")) return;
    $("balance").classList.remove("error");
    const b = report.balance;
    $("balance").textContent = `${credits(b.credits)} credits (account ${b.account})`;
    $("balance").dataset.credits = String(b.credits);
    const p = b.policy;
    $("refill-policy").textContent = p ? `${p.enabled ? "enabled" : "DISABLED"}: below ${p.thresholdCredits} credits, buy ${usd(p.refillUsdCents)}` : "no policy";
    const m = report.month;
    $("month-spend").textContent = m.limitUsdCents === null ? `${usd(m.spentUsdCents)} in ${m.month}, no monthly limit` : `${usd(m.spentUsdCents)} of ${usd(m.limitUsdCents)} in ${m.month}`;
    $("month-meter").max = m.limitUsdCents ?? Math.max(1, m.spentUsdCents);
    $("month-meter").value = m.spentUsdCents;
    const last = report.series.at(-1);
    chart(
        "balance-chart",
        [{ label: "credits", stroke: "#047857", width: 2, fill: "rgba(4, 120, 87, 0.12)" }],
        [report.series.map((s) => Date.parse(s.at) / 1000), report.series.map((s) => s.credits)],
        last ? `balance over ${report.series.length} ledger entries, ${credits(last.credits)} credits now` : "no ledger entries yet",
        around(3600),
    );
    $("balance-chart").dataset.points = String(report.series.length);
    fillTable("usage", report.usageByDay.map((d) => [d.day, el("td", { class: "num" }, credits(d.credits))]));
    fillTable(
        "ledger",
        report.history.map((item) =>
            item.record === "payment"
                ? [time(item.at), "payment", item.status, el("td", { class: "num" }, credits(item.credits)), el("td", { class: "num" }, usd(item.usdCents)), item.idempotencyKey + (item.message ? ` (${item.message})` : "")]
                : [
                      time(item.at),
                      "entry",
                      item.kind,
                      el("td", { class: "num" }, `${item.kind === "debit" ? "-" : "+"}${credits(item.credits)}`),
                      el("td", { class: "num" }, item.usdCents === null ? "-" : usd(item.usdCents)),
                      item.reference,
                  ],
        ),
    );
}

// ---- audit

let auditEntries = [];

function renderAudit(doc) {
    if (doc) {
        if (failed(doc, "audit-count")) return;
        $("audit-count").classList.remove("error");
        auditEntries = doc.entries;
    }
    const resource = $("audit-resource").value.trim().toLowerCase();
    const action = $("audit-action").value;
    const sinceMs = Number($("audit-since").value || 0);
    const rows = auditEntries.filter(
        (r) =>
            (!resource || r.urn.toLowerCase().includes(resource) || r.type.toLowerCase() === resource) &&
            (!action || r.action === action) &&
            (!sinceMs || Date.parse(r.at) >= Date.now() - sinceMs),
    );
    $("audit-count").textContent = `${rows.length} of ${auditEntries.length} entries`;
    $("audit-timeline").replaceChildren(
        ...rows
            .slice()
            .reverse()
            .map((r) =>
                el(
                    "li",
                    { class: `entry ${r.action}`, "data-action": r.action },
                    el("time", { datetime: new Date(r.at).toISOString() }, time(r.at)),
                    " ",
                    el("strong", {}, r.action),
                    ` ${r.type} `,
                    el("code", {}, resourceName(r.urn)),
                    r.changed.length ? `: ${r.changed.join(", ")}` : "",
                ),
            ),
    );
}

for (const id of ["audit-resource", "audit-action", "audit-since"]) $(id).addEventListener("input", () => renderAudit());
$("audit-filter").addEventListener("submit", (event) => event.preventDefault());

// ---- logs

const panes = new Map();

function pane(source) {
    if (!panes.has(source)) {
        const pre = el("pre", { id: `log-${source}`, role: "log", "aria-label": `the ${source} log`, tabindex: "0" });
        const box = el("section", { class: "log", "aria-labelledby": `log-${source}-title` }, el("h3", { id: `log-${source}-title` }, source), pre);
        $("log-panes").append(box);
        panes.set(source, { pre, lines: [] });
    }
    return panes.get(source);
}

function renderLog({ source, lines, reset }) {
    const p = pane(source);
    const follow = p.pre.scrollTop + p.pre.clientHeight >= p.pre.scrollHeight - 4;
    p.lines = (reset ? lines : p.lines.concat(lines)).slice(-LOG_LINES);
    p.pre.textContent = p.lines.join("\n");
    if (follow) p.pre.scrollTop = p.pre.scrollHeight;
}

function renderLogs(doc) {
    $("logs-state").textContent = doc.error ? doc.error : `following ${doc.sources.join(", ")}`;
    $("logs-state").classList.toggle("error", Boolean(doc.error));
}

// ---- realtime

function renderRealtime(doc) {
    $("realtime-state").textContent = doc.error ? doc.error : `listening to ${doc.table}${doc.filter ? ` where ${doc.filter}` : ""}`;
    $("realtime-state").classList.toggle("error", Boolean(doc.error));
}

function renderChange(change) {
    const row = change.type === "DELETE" ? JSON.stringify(change.old) : change.type === "UPDATE" ? `${JSON.stringify(change.old)} -> ${JSON.stringify(change.new)}` : JSON.stringify(change.new);
    const body = $("changes").tBodies[0];
    body.prepend(el("tr", { "data-type": change.type }, el("td", {}, time(change.at)), el("td", {}, change.type), el("td", {}, change.table), el("td", {}, el("code", {}, row))));
    while (body.rows.length > CHANGES) body.deleteRow(-1);
}

// ---- the feed

const RENDER = { status: renderStatus, app: renderApp, billing: renderBilling, audit: renderAudit, logs: renderLogs, log: renderLog, realtime: renderRealtime, change: renderChange };

function connect() {
    const feed = new EventSource("/api/events");
    for (const [event, render] of Object.entries(RENDER)) {
        feed.addEventListener(event, (message) => {
            try {
                render(JSON.parse(message.data));
            } catch (err) {
                console.error(`the dashboard could not show ${event}:`, err);
            }
        });
    }
    feed.addEventListener("open", () => {
        $("connection").textContent = "live";
        $("connection").dataset.state = "live";
    });
    feed.addEventListener("error", () => {
        $("connection").textContent = feed.readyState === EventSource.CLOSED ? "disconnected: reload the page" : "reconnecting…";
        $("connection").dataset.state = "reconnecting";
    });
}

connect();
