/**
 * The stack's helper processes (providers/runtime/task-host): one process
 * serves many tasks, a task taken off stops even while it is busy, and the
 * process ends with its last task.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as path from "path";
import { spawnTypeScriptProcess } from "../../providers/runtime/load";
import { logTail } from "../../providers/runtime/logs";
import { isAlive } from "../../providers/runtime/process";
import { startTask, stopTask, taskHost } from "../../providers/runtime/task-host";
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
});
