/** What the CLI prints: tables, durations, and the status verdict's rules. */
import { strict as assert } from "assert";
import type { ServiceCheck } from "../../cli/backends/types";
import { ExitCode } from "../../cli/errors";
import { exitCodeOf, summarize, worst } from "../../cli/health";
import { formatCredits, formatDuration, formatTime, formatUsd, renderTable } from "../../cli/output";
import type { StackOutputs } from "../../cli/outputs";

describe("cli: renderTable", function () {
    it("aligns columns to their widest cell, two spaces apart, without trailing spaces", function () {
        const text = renderTable(["NAME", "STATUS", "DETAIL"], [
            ["database", "up", "PostgreSQL on 127.0.0.1:5432"],
            ["app", "DOWN", ""],
        ]);
        assert.equal(text, ["NAME      STATUS  DETAIL", "database  up      PostgreSQL on 127.0.0.1:5432", "app       DOWN"].join("\n") + "\n");
    });

    it("right-aligns number columns, shows absent values as -, and keeps each row on one line", function () {
        const text = renderTable([{ header: "CREDITS", align: "right" }, "NOTE"], [
            [5, undefined],
            [1250, "two\nlines"],
        ]);
        assert.equal(text, ["CREDITS  NOTE", "      5  -", "   1250  two lines"].join("\n") + "\n");
    });
});

describe("cli: formatting", function () {
    it("durations are coarse: seconds, minutes, hours, then days", function () {
        assert.equal(formatDuration(4_400), "4s");
        assert.equal(formatDuration(90_000), "1m 30s");
        assert.equal(formatDuration(3 * 3_600_000 + 5 * 60_000), "3h 5m");
        assert.equal(formatDuration(9 * 86_400_000), "9d");
        assert.equal(formatDuration(-5), "0s");
    });

    it("times are UTC to the second; money and credits are exact", function () {
        assert.equal(formatTime(new Date("2025-06-01T12:00:05.123Z")), "2025-06-01 12:00:05Z");
        assert.equal(formatUsd(1000), "$10.00");
        assert.equal(formatCredits(0.1 + 0.2), "0.3");
    });
});

describe("cli: the status verdict", function () {
    const outputs: StackOutputs = { phase1Complete: true, phase2Complete: true, phase3Complete: true, phase4Complete: true, phase5Complete: true, workflowComplete: true };
    const up = (service: string, phase?: number): ServiceCheck => ({ service, ...(phase ? { phase } : {}), health: "up", detail: "" });
    const all = () => [up("database"), up("auth", 1), up("sandbox", 2), up("app", 3), up("monitor", 4), up("billing", 5)];

    it("every service up and every gate passed: healthy, exit 0", function () {
        const report = summarize("dev", outputs, all());
        assert.equal(report.healthy, true);
        assert.deepEqual(report.phases.map((p) => p.healthy), [true, true, true, true, true]);
        assert.equal(exitCodeOf(report), ExitCode.Ok);
    });

    it("a service down: its phase is unhealthy and the exit code is 4", function () {
        const checks = all();
        checks[3] = { ...checks[3], health: "down", detail: "GET …: no answer" };
        const report = summarize("dev", outputs, checks);
        assert.equal(report.healthy, false);
        assert.deepEqual(report.phases.find((p) => p.phase === 3), { phase: 3, name: "deployment", recorded: true, live: "down", healthy: false });
        assert.equal(exitCodeOf(report), ExitCode.ServiceDown);
    });

    it("an unhealthy service, or a gate that failed at up, is exit 1", function () {
        const checks = all();
        checks[5] = { ...checks[5], health: "unhealthy" };
        assert.equal(exitCodeOf(summarize("dev", outputs, checks)), ExitCode.Failed);
        const failedGate = summarize("dev", { ...outputs, phase4Complete: false }, all());
        assert.equal(failedGate.phases[3].healthy, false);
        assert.equal(exitCodeOf(failedGate), ExitCode.Failed);
    });

    it("the worst health wins: down, unhealthy, unknown, up", function () {
        assert.equal(worst(["up", "unknown", "unhealthy"]), "unhealthy");
        assert.equal(worst(["unhealthy", "down", "up"]), "down");
        assert.equal(worst([]), "unknown");
    });
});
