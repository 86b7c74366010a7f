/**
 * The stack's helper processes (providers/runtime/task-host): one process
 * serves many tasks, a task taken off stops even while it is busy, and the
 * process ends with its last task; a task woken looks again, and the others
 * sleep on.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as path from "path";
import { spawnTypeScriptProcess } from "../../providers/runtime/load";
import { logTail } from "../../providers/runtime/logs";
import { isAlive, waitUntil } from "../../providers/runtime/process";
import { startTask, stopTask, taskHost, wakeTask } from "../../providers/runtime/task-host";
import { tempDataDir } from "../support";

describe("providers: the stack's task host", function () {
    let dataDir: string;

    before(async function () {
        dataDir = await tempDataDir();
    });
    after(async function () {
        await fs.rm(dataDir, { recursive: true, force: true });
    });

    const start = (id: string) =>
        startTask(dataDir, "watchdog", id, {
            logFile: path.join(dataDir, `${id}.log`),
            spawn: (logFile) => spawnTypeScriptProcess(path.join(__dirname, "fixtures", "busy-host.ts"), [dataDir], { cwd: dataDir, logFile }),
            logTail: (file) => logTail(file),
        });

    it("runs every task in one process; a task stopped while busy stops, and the process ends with the last", async function () {
        const [a, b] = [await start("a"), await start("b")];
        assert.deepEqual(a, b, "one process for both");
        assert.equal(taskHost(dataDir, "watchdog", "a")?.pid, a.pid);

        assert.equal(await stopTask(dataDir, "watchdog", "a"), true, "stopped within its wait, not at the end of its sleep");
        assert.equal(taskHost(dataDir, "watchdog", "a"), undefined);
        assert.match(await fs.readFile(path.join(dataDir, "a.log"), "utf8"), /stopped a/);
        assert.ok(isAlive(a), "still serving b");

        assert.equal(await stopTask(dataDir, "watchdog", "b"), true);
        assert.equal(isAlive(a), false, "the last task's stop waits for the process to end");
    });

    /** How many times task `id` has logged `what` (`round`: begun a round; `asleep`: gone to sleep after one). */
    const times = async (what: string, id: string) => (await fs.readFile(path.join(dataDir, `${id}.log`), "utf8").catch(() => "")).split(`${what} ${id}`).length - 1;

    it("wakes the task it is asked to, and no other: a new task assigned wakes none", async function () {
        await start("x");
        await start("y");
        assert.ok(await waitUntil(async () => (await times("asleep", "x")) === 1 && (await times("asleep", "y")) === 1, 10_000, 20));
        await start("z");
        assert.equal(await wakeTask(dataDir, "watchdog", "x"), true);
        assert.ok(await waitUntil(async () => (await times("asleep", "x")) === 2, 10_000, 20), "x had another round");
        assert.equal(await times("round", "y"), 1, "y slept on");
        // Woken while it is busy, a task has its next round at once.
        assert.equal(await wakeTask(dataDir, "watchdog", "x"), true);
        assert.ok(await waitUntil(async () => (await times("round", "x")) === 3, 10_000, 20));
        assert.equal(await times("asleep", "x"), 2, "busy in its third round");
        assert.equal(await wakeTask(dataDir, "watchdog", "x"), true);
        assert.ok(await waitUntil(async () => (await times("round", "x")) === 4, 10_000, 20), "the wake was kept");
        assert.equal(await times("round", "z"), 1);
        assert.equal(await wakeTask(dataDir, "watchdog", "nobody"), false);
        for (const id of ["x", "y", "z"]) await stopTask(dataDir, "watchdog", id);
    });
});
