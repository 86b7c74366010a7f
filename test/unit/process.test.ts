import { strict as assert } from "assert";
import { spawn } from "child_process";
import { groupMembers, groupRunning, processRef, ProcessRef, signalGroup, waitUntil } from "../../providers/runtime/process";

/** A process group of its own: `sh -c script`, detached, as the local backends start apps. */
function group(script: string): ProcessRef {
    const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
    child.unref();
    return processRef(child.pid!)!;
}

describe("unit: process groups", function () {
    this.timeout(20_000);

    it("a group runs while its leader runs, and while a member outlives the leader; not once all are gone", async function () {
        const leader = group("sleep 30 & sleep 0.5");
        assert.equal(groupRunning(leader), true);
        assert.ok(await waitUntil(() => processRef(leader.pid) === undefined, 5000), "the leader exited");
        assert.equal(groupRunning(leader), true, "its sleep still runs in the group");
        assert.equal(groupMembers(leader).length, 1);
        signalGroup(leader, "SIGKILL");
        assert.ok(await waitUntil(() => !groupRunning(leader), 5000));
        assert.deepEqual(groupMembers(leader), []);
    });

    it("a pid now held by another process is not the group", async function () {
        const leader = group("sleep 30");
        try {
            assert.equal(groupRunning({ pid: leader.pid, startTime: leader.startTime - 1 }), false);
        } finally {
            signalGroup(leader, "SIGKILL");
        }
    });
});
