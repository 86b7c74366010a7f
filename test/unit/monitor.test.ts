import { strict as assert } from "assert";
import { configHash, Inputs, Outputs, provider } from "../../providers/monitor/resource";
import { alertMessage, judge, tally } from "../../providers/monitor/watchdog";
import { UNKNOWN } from "../../providers/runtime/schema";
import { asEngine } from "../support";

const monitors = asEngine(provider);
const tags = { "flow-nexus:project": "p", "flow-nexus:stack": "dev", "flow-nexus:urn": "urn:pulumi:dev::p::flownexus:Monitor::ops" };
const target = { name: "app", url: "http://127.0.0.1:8080/health", deploymentId: "dep-0123456789ab", sandboxId: "sbx-0123456789ab" };
const valid = { targets: [target], backend: { kind: "local", dataDir: "/tmp/x" }, tags };

async function check(overrides: Record<string, unknown>): Promise<{ inputs: Inputs; reasons: string[] }> {
    const { inputs, failures } = await monitors.check({}, { ...valid, ...overrides });
    return { inputs, reasons: (failures ?? []).map((f: { reason: string }) => f.reason) };
}

const reasons = async (overrides: Record<string, unknown>) => (await check(overrides)).reasons;

describe("unit: Monitor inputs", function () {
    it("applies the defaults", async function () {
        const { inputs, reasons } = await check({});
        assert.deepEqual(reasons, []);
        assert.deepEqual(
            { ...inputs, backend: undefined, tags: undefined, configHash: undefined },
            {
                targets: [target],
                intervalSeconds: 30,
                thresholds: { consecutiveFailures: 3, latencyMs: 2000 },
                alerts: [],
                restartOnFailure: true,
                configHash: undefined,
                backend: undefined,
                tags: undefined,
            },
        );
        assert.match(inputs.configHash, /^[0-9a-f]{64}$/);
    });

    it("defaults each threshold on its own", async function () {
        assert.deepEqual((await check({ thresholds: { latencyMs: 500 } })).inputs.thresholds, { consecutiveFailures: 3, latencyMs: 500 });
        assert.deepEqual((await check({ thresholds: { consecutiveFailures: 2 } })).inputs.thresholds, { consecutiveFailures: 2, latencyMs: 2000 });
    });

    it("accepts the whole ranges, https, targets without a deployment and webhooks", async function () {
        const ok = {
            targets: [target, { name: "site.prod_1", url: "https://example.com/health?deep=1" }],
            intervalSeconds: 3600,
            thresholds: { consecutiveFailures: 100, latencyMs: 60_000 },
            alerts: [{ type: "webhook", url: "https://hooks.example.com/T000/B000" }],
            restartOnFailure: false,
        };
        assert.deepEqual(await reasons(ok), []);
        assert.deepEqual(await reasons({ intervalSeconds: 1, thresholds: { consecutiveFailures: 1, latencyMs: 1 } }), []);
    });

    it("names the property and what is allowed", async function () {
        const url = "an http(s) URL such as http://127.0.0.1:8080/health";
        const cases: [Record<string, unknown>, string][] = [
            [{ targets: [] }, "targets must have at least 1 item"],
            [{ targets: undefined }, "targets must be a list (got nothing)"],
            [{ targets: [{ ...target, url: "ftp://example.com" }] }, `targets[0].url must be ${url} (got "ftp://example.com")`],
            [{ targets: [{ ...target, url: "127.0.0.1:8080/health" }] }, `targets[0].url must be ${url} (got "127.0.0.1:8080/health")`],
            [{ targets: [{ url: target.url }] }, "targets[0].name must be a non-empty string"],
            [{ targets: [{ name: "app", url: target.url, deploymentId: "dep-0123456789ab" }] }, "targets[0] deploymentId and sandboxId must be given together"],
            [{ targets: [target, { name: "app", url: target.url }] }, 'targets names must be unique (got "app" twice)'],
            [{ targets: [{ ...target, deployment: "x" }] }, 'targets[0] has no property "deployment" (allowed: name, url, deploymentId, sandboxId)'],
            [{ intervalSeconds: 0 }, "intervalSeconds must be a whole number from 1 to 3600 seconds (got 0)"],
            [{ intervalSeconds: 3601 }, "intervalSeconds must be a whole number from 1 to 3600 seconds (got 3601)"],
            [{ intervalSeconds: 1.5 }, "intervalSeconds must be a whole number from 1 to 3600 seconds (got 1.5)"],
            [{ thresholds: { consecutiveFailures: 0 } }, "thresholds.consecutiveFailures must be a whole number from 1 to 100 (got 0)"],
            [{ thresholds: { consecutiveFailures: 101 } }, "thresholds.consecutiveFailures must be a whole number from 1 to 100 (got 101)"],
            [{ thresholds: { latencyMs: 0 } }, "thresholds.latencyMs must be a whole number from 1 to 60000 ms (got 0)"],
            [{ thresholds: { latencyMs: 60_001 } }, "thresholds.latencyMs must be a whole number from 1 to 60000 ms (got 60001)"],
            [{ thresholds: { latency: 100 } }, 'thresholds has no property "latency" (allowed: consecutiveFailures, latencyMs)'],
            [{ thresholds: 5 }, "thresholds must be an object with consecutiveFailures, latencyMs (got 5)"],
            [{ alerts: [{ type: "email", url: "http://127.0.0.1:9000/hook" }] }, 'alerts[0].type must be one of webhook, file (got "email")'],
            [{ alerts: [{ type: "file", path: "alerts.log" }] }, 'alerts[0].path must be an absolute path (got "alerts.log")'],
            [{ alerts: [{ type: "webhook", url: "mailto:ops@example.com" }] }, `alerts[0].url must be ${url} (got "mailto:ops@example.com")`],
            [{ alerts: [{ type: "webhook" }] }, "alerts[0].url must be a non-empty string"],
            [{ restartOnFailure: "yes" }, 'restartOnFailure must be true or false (got "yes")'],
            [{ backend: { kind: "mainframe" } }, 'backend.kind must be one of local, cloud for this resource (got "mainframe")'],
        ];
        for (const [overrides, reason] of cases) assert.deepEqual(await reasons(overrides), [reason], JSON.stringify(overrides));
    });

    it("leaves values unknown at preview alone, the config hash unknown with them", async function () {
        const { inputs, reasons } = await check({ targets: [{ ...target, deploymentId: UNKNOWN, sandboxId: UNKNOWN }] });
        assert.deepEqual(reasons, []);
        assert.equal(inputs.configHash, UNKNOWN);
    });

    it("hashes the configuration whatever its key order", function () {
        const config = { targets: [target], intervalSeconds: 5, thresholds: { consecutiveFailures: 2, latencyMs: 100 }, alerts: [], restartOnFailure: true };
        const reordered = { restartOnFailure: true, alerts: [], thresholds: { latencyMs: 100, consecutiveFailures: 2 }, intervalSeconds: 5, targets: [{ ...target }] };
        assert.equal(configHash(config), configHash(reordered));
        assert.notEqual(configHash(config), configHash({ ...config, intervalSeconds: 6 }));
    });
});

describe("unit: Monitor diff", function () {
    let olds: Outputs;
    before(async function () {
        olds = { ...(await check({})).inputs, monitorId: "mon-0123456789ab", status: "active", watchdogPid: 42 };
    });
    const diff = async (changes: Record<string, unknown>) => {
        const { inputs } = await check({ ...olds, ...changes });
        return monitors.diff(olds.monitorId, olds, inputs);
    };

    it("updates everything in place", async function () {
        for (const change of [
            { targets: [{ name: "other", url: "http://127.0.0.1:1/" }] },
            { intervalSeconds: 5 },
            { thresholds: { consecutiveFailures: 5 } },
            { alerts: [{ type: "webhook", url: "http://127.0.0.1:9/hook" }] },
            { restartOnFailure: false },
        ]) {
            const result = await diff(change);
            assert.equal(result.changes, true, JSON.stringify(change));
            assert.deepEqual(result.replaces, [], JSON.stringify(change));
        }
    });

    it("sees a stopped watchdog (an empty configHash from read) as a change, and nothing else as none", async function () {
        const { inputs } = await check({ ...olds });
        assert.equal((await monitors.diff(olds.monitorId, olds, inputs)).changes, false);
        const stopped = await monitors.diff(olds.monitorId, { ...olds, status: "stopped", configHash: "" }, inputs);
        assert.deepEqual([stopped.changes, stopped.replaces], [true, []]);
    });
});

describe("unit: Monitor watchdog decisions", function () {
    it("fails a check on no answer, a non-2xx answer, or one slower than latencyMs", function () {
        assert.deepEqual(judge({ statusCode: 200, latencyMs: 10 }, 100), { ok: true });
        assert.deepEqual(judge({ statusCode: 204, latencyMs: 100 }, 100), { ok: true });
        assert.deepEqual(judge({ statusCode: 503, latencyMs: 10 }, 100), { ok: false, error: "HTTP 503" });
        assert.deepEqual(judge({ statusCode: 301, latencyMs: 10 }, 100), { ok: false, error: "HTTP 301" });
        assert.deepEqual(judge({ statusCode: 200, latencyMs: 101 }, 100), { ok: false, error: "answered in 101 ms, above latencyMs (100)" });
        assert.deepEqual(judge({ latencyMs: 3, error: "connect ECONNREFUSED 127.0.0.1:1" }, 100), { ok: false, error: "connect ECONNREFUSED 127.0.0.1:1" });
    });

    it("alerts when a target reaches consecutiveFailures, then counts again from zero", function () {
        let counts = new Map<string, number>();
        const rounds = [false, false, false, false, true, false];
        const dueAt: number[] = [];
        rounds.forEach((ok, i) => {
            const result = tally(counts, [{ name: "app", ok }], 2);
            counts = result.counts;
            if (result.due.length > 0) {
                assert.deepEqual(result.due, [{ name: "app", failures: 2 }]);
                dueAt.push(i);
            }
        });
        assert.deepEqual(dueAt, [1, 3]);
        assert.equal(counts.get("app"), 1);
    });

    it("counts each target on its own and forgets removed ones", function () {
        const first = tally(new Map([["gone", 1]]), [{ name: "a", ok: false }, { name: "b", ok: true }], 3);
        assert.deepEqual([...first.counts], [["a", 1], ["b", 0]]);
        assert.deepEqual(tally(new Map(), [{ name: "a", ok: false }], 1).due, [{ name: "a", failures: 1 }]);
    });

    it("says what failed and what was done about it", function () {
        const t = { name: "app", url: "http://127.0.0.1:1/health", deploymentId: "dep-0123456789ab", sandboxId: "sbx-0123456789ab" };
        assert.equal(alertMessage(t, 3, "HTTP 503", { attempted: false }), "app failed 3 checks in a row (last: HTTP 503)");
        assert.equal(alertMessage(t, 1, "HTTP 503", { attempted: true }), "app failed 1 check in a row (last: HTTP 503); restarted deployment dep-0123456789ab, healthy again");
        assert.equal(
            alertMessage(t, 2, "HTTP 503", { attempted: true, error: "sandbox sbx-0123456789ab is gone" }),
            "app failed 2 checks in a row (last: HTTP 503); restarting deployment dep-0123456789ab failed: sandbox sbx-0123456789ab is gone",
        );
    });
});
