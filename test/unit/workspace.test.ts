/** The local workspace's upkeep: what engine/local.mjs does before every pulumi command. */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";

// An ES module of the project's own, loaded as `flow-nexus` loads it (require(esm), Node 20.19+).
const { pruneLogs } = require("../../engine/local.mjs") as {
    pruneLogs(dir: string, keep?: { newest: number; maxAgeDays: number }, now?: number): number;
};

describe("unit: the local workspace keeps its pulumi logs bounded", function () {
    let dir: string;
    beforeEach(async function () {
        dir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-logs-"));
    });
    afterEach(async function () {
        await fs.rm(dir, { recursive: true, force: true });
    });

    it("keeps the newest logs and removes the rest, and any older than the age", async function () {
        const now = Date.now();
        const hour = 3_600_000;
        for (let i = 0; i < 6; i++) {
            const file = path.join(dir, `pulumi-${i}.log`);
            await fs.writeFile(file, "log");
            const at = new Date(now - i * hour);
            await fs.utimes(file, at, at);
        }
        const ancient = path.join(dir, "pulumi-old.log");
        await fs.writeFile(ancient, "log");
        await fs.utimes(ancient, new Date(now - 30 * 24 * hour), new Date(now - 30 * 24 * hour));
        await fs.writeFile(path.join(dir, "notes.txt"), "not a log");

        assert.equal(pruneLogs(dir, { newest: 4, maxAgeDays: 7 }, now), 3);
        assert.deepEqual((await fs.readdir(dir)).sort(), ["notes.txt", "pulumi-0.log", "pulumi-1.log", "pulumi-2.log", "pulumi-3.log"]);
        assert.equal(pruneLogs(path.join(dir, "missing")), 0, "no logs folder yet is fine");
    });
});
