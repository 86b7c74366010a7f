import { strict as assert } from "assert";
import { existsSync, promises as fs, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { Inputs, Outputs, provider } from "../../providers/sandbox/resource";
import { runInSandbox, SANDBOX_MARKER } from "../../providers/sandbox/processes";
import { readRecord, sandboxDir, supervisorAlive } from "../../providers/sandbox/record";
import { isListening } from "../../providers/runtime/ports";
import { isAlive, isStopped, processesWithEnv, ProcessRef, signalPids, waitUntil } from "../../providers/runtime/process";
import { taskHost, wakeTask } from "../../providers/runtime/task-host";

describe("providers: Sandbox (local)", function () {
    this.timeout(60_000);
    let dataDir: string;
    const created: Outputs[] = [];
    let urns = 0;

    async function inputs(overrides: Partial<Inputs> = {}): Promise<Inputs> {
        const tags = { "flow-nexus:project": "p", "flow-nexus:stack": "test", "flow-nexus:urn": `urn:test:${++urns}` };
        const news = { template: "node", backend: { kind: "local", dataDir }, tags, ...overrides } as Inputs;
        const { inputs, failures } = await provider.check!({} as Inputs, news);
        assert.deepEqual(failures, []);
        return inputs!;
    }

    async function create(overrides: Partial<Inputs> = {}): Promise<Outputs> {
        const { outs } = await provider.create(await inputs(overrides));
        created.push(outs!);
        return outs!;
    }

    async function read(sandbox: Outputs): Promise<Outputs | undefined> {
        return (await provider.read!(sandbox.sandboxId, sandbox)).props as Outputs | undefined;
    }

    async function supervisorOf(sandbox: Outputs): Promise<ProcessRef> {
        return (await readRecord(sandboxDir(dataDir, sandbox.sandboxId)))!.supervisor!;
    }

    /** Whether the stack's supervisor process supervises the sandbox now. */
    async function supervised(sandbox: Outputs): Promise<boolean> {
        const record = await readRecord(sandboxDir(dataDir, sandbox.sandboxId));
        return record !== undefined && supervisorAlive(dataDir, record);
    }

    /** Moves the sandbox's end time into the past, the way an update would, and tells the supervisor. */
    async function expire(sandbox: Outputs): Promise<void> {
        const dir = sandboxDir(dataDir, sandbox.sandboxId);
        const record = (await readRecord(dir))!;
        await fs.writeFile(path.join(dir, "sandbox.json.test"), JSON.stringify({ ...record, endAt: new Date(Date.now() - 1000).toISOString() }));
        await fs.rename(path.join(dir, "sandbox.json.test"), path.join(dir, "sandbox.json"));
        assert.ok(await wakeTask(dataDir, "supervisor", sandbox.sandboxId), "the stack's supervisor runs it");
    }

    /** A node HTTP server on the sandbox's first port, in the background. */
    async function startServer(sandbox: Outputs): Promise<ProcessRef> {
        const port = sandbox.allocatedPorts[0];
        const script = `require("http").createServer((q, s) => s.end("ok")).listen(${port}, "127.0.0.1")`;
        const server = await runInSandbox(dataDir, sandbox.sandboxId, `exec ${process.execPath} -e '${script}'`, { background: true });
        assert.ok(await waitUntil(() => isListening(port), 10_000, 100), `the server never listened on ${port}`);
        return server;
    }

    function leftovers(sandboxId: string): number[] {
        return processesWithEnv(SANDBOX_MARKER, sandboxId);
    }

    before(async function () {
        dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-sandbox-"));
    });

    after(async function () {
        for (const sandbox of created) await provider.delete!(sandbox.sandboxId, sandbox);
        delete process.env.FLOW_NEXUS_SANDBOX_ISOLATION;
        await fs.rm(dataDir, { recursive: true, force: true });
    });

    it("creates a running sandbox: supervisor alive, work dir, free loopback ports", async function () {
        const sandbox = await create({ ports: 3 });
        assert.match(sandbox.sandboxId, /^sbx-[0-9a-f]{12}$/);
        assert.equal(sandbox.status, "running");
        assert.equal(sandbox.host, "127.0.0.1");
        assert.ok(await supervised(sandbox));
        assert.ok(path.isAbsolute(sandbox.workDir) && existsSync(sandbox.workDir));
        assert.equal(new Set(sandbox.allocatedPorts).size, 3);
        assert.deepEqual(sandbox.urls, sandbox.allocatedPorts.map((port) => `http://127.0.0.1:${port}`));
        for (const port of sandbox.allocatedPorts) {
            assert.ok(Number.isInteger(port) && port > 1024 && port < 65536);
            assert.equal(await isListening(port), false);
        }
        assert.equal(Date.parse(sandbox.endAt) - Date.parse(sandbox.startedAt), 3600 * 1000);
        assert.ok(["bubblewrap", "process"].includes(sandbox.isolation));
        assert.deepEqual(await read(sandbox), sandbox);
    });

    it("runs the startup script and commands in the work dir, with the sandbox's envs", async function () {
        const sandbox = await create({ envs: { GREETING: "hello" }, startupScript: 'echo "$GREETING from $(pwd)" > greeting.txt' });
        const result = await runInSandbox(dataDir, sandbox.sandboxId, "cat greeting.txt; echo $EXTRA", { env: { EXTRA: "more" } });
        assert.equal(result.exitCode, 0);
        assert.equal(result.output, `hello from ${sandbox.workDir}\nmore`);
        const failed = await runInSandbox(dataDir, sandbox.sandboxId, "echo oops; exit 7");
        assert.deepEqual([failed.exitCode, failed.output], [7, "oops"]);
    });

    it("delete kills the sandbox's background processes, frees their ports and removes its folder", async function () {
        const sandbox = await create({ ports: 1 });
        const server = await startServer(sandbox);
        await provider.delete!(sandbox.sandboxId, sandbox);
        assert.equal(isAlive(server), false);
        assert.equal(await isListening(sandbox.allocatedPorts[0]), false);
        assert.deepEqual(leftovers(sandbox.sandboxId), []);
        assert.equal(taskHost(dataDir, "supervisor", sandbox.sandboxId), undefined, "no longer supervised");
        assert.equal(existsSync(sandboxDir(dataDir, sandbox.sandboxId)), false);
    });

    it("a failing startup script fails create with its exit code and output, and leaves nothing behind", async function () {
        const before = await fs.readdir(path.join(dataDir, "sandboxes"));
        const script = "for i in $(seq 1 60); do echo line $i; done\nsleep 300 &\necho broken >&2\nexit 3";
        const err: Error = await provider.create(await inputs({ startupScript: script })).then(
            () => assert.fail("create succeeded"),
            (e) => e,
        );
        assert.match(err.message, /startup script of sandbox sbx-[0-9a-f]{12} exited with code 3/);
        assert.match(err.message, /line 60\nbroken$/);
        assert.doesNotMatch(err.message, /line 20\n/, "only the tail of the output is quoted");
        const sandboxId = /sbx-[0-9a-f]{12}/.exec(err.message)![0];
        assert.deepEqual(leftovers(sandboxId), []);
        assert.deepEqual(await fs.readdir(path.join(dataDir, "sandboxes")), before);
    });

    it("kills a sandbox at its timeout: its processes end and read reports it gone", async function () {
        const sandbox = await create({ ports: 1 });
        const server = await startServer(sandbox);
        await expire(sandbox);
        assert.ok(await waitUntil(async () => (await read(sandbox)) === undefined, 10_000, 100));
        assert.ok(await waitUntil(() => !existsSync(sandboxDir(dataDir, sandbox.sandboxId)), 10_000, 100));
        assert.equal(isAlive(server), false);
        assert.equal(await isListening(sandbox.allocatedPorts[0]), false);
        assert.deepEqual(leftovers(sandbox.sandboxId), []);
    });

    it("pauses a sandbox at its timeout when onTimeout is pause, and a new timeout resumes it", async function () {
        const sandbox = await create({ onTimeout: "pause" });
        const sleeper = await runInSandbox(dataDir, sandbox.sandboxId, "exec sleep 300", { background: true });
        await expire(sandbox);
        assert.ok(await waitUntil(async () => (await read(sandbox))?.status === "paused", 10_000, 100));
        assert.ok(isStopped(sleeper));
        await assert.rejects(runInSandbox(dataDir, sandbox.sandboxId, "true"), /is paused/);

        const news = { ...(await inputs()), tags: sandbox.tags, onTimeout: "pause" as const, timeoutSeconds: 120 };
        const { outs } = await provider.update!(sandbox.sandboxId, sandbox, news);
        assert.equal(outs!.status, "running");
        assert.ok(Date.parse(outs!.endAt) > Date.now() + 110_000);
        assert.ok(isAlive(sleeper) && !isStopped(sleeper));
    });

    it("delete ends the processes of a paused sandbox too", async function () {
        const sandbox = await create({ onTimeout: "pause" });
        const sleeper = await runInSandbox(dataDir, sandbox.sandboxId, "exec sleep 300", { background: true });
        await expire(sandbox);
        assert.ok(await waitUntil(() => isStopped(sleeper), 10_000, 100));
        await provider.delete!(sandbox.sandboxId, sandbox);
        assert.equal(isAlive(sleeper), false);
        assert.deepEqual(leftovers(sandbox.sandboxId), []);
    });

    it("updates the timeout and onTimeout in place", async function () {
        const sandbox = await create();
        const supervisor = await supervisorOf(sandbox);
        const news = { ...(await inputs()), tags: sandbox.tags, timeoutSeconds: 600, onTimeout: "pause" as const };
        const { outs } = await provider.update!(sandbox.sandboxId, sandbox, news);
        assert.equal(outs!.sandboxId, sandbox.sandboxId);
        assert.equal(outs!.startedAt, sandbox.startedAt);
        assert.ok(Math.abs(Date.parse(outs!.endAt) - (Date.now() + 600_000)) < 5000);
        const record = (await readRecord(sandboxDir(dataDir, sandbox.sandboxId)))!;
        assert.deepEqual([record.endAt, record.onTimeout, record.timeoutSeconds], [outs!.endAt, "pause", 600]);
        assert.ok(await supervised(outs!));
        assert.deepEqual(await supervisorOf(outs!), supervisor, "the same supervisor keeps it");
        assert.deepEqual(await read(outs!), outs);
    });

    it("a sandbox whose supervisor was killed is down, not gone: diff sees it, update starts it again in place, keeping its files", async function () {
        const sandbox = await create();
        await fs.writeFile(path.join(sandbox.workDir, "kept.txt"), "mine");
        const sleeper = await runInSandbox(dataDir, sandbox.sandboxId, "exec sleep 300", { background: true });
        const supervisor = await supervisorOf(sandbox);
        signalPids([supervisor.pid], "SIGKILL");
        assert.ok(await waitUntil(() => !isAlive(supervisor), 5000));
        assert.equal((await read(sandbox))?.status, "stopped");
        assert.equal((await provider.diff!(sandbox.sandboxId, sandbox, sandbox)).changes, true, "the next up updates it");
        await assert.rejects(runInSandbox(dataDir, sandbox.sandboxId, "true"), /is gone/);

        const { outs } = await provider.update!(sandbox.sandboxId, sandbox, sandbox);
        assert.equal(outs!.sandboxId, sandbox.sandboxId);
        assert.equal(outs!.status, "running");
        assert.equal(isAlive(sleeper), false, "what was left of its processes was ended");
        assert.equal(await fs.readFile(path.join(sandbox.workDir, "kept.txt"), "utf8"), "mine");
        assert.equal((await runInSandbox(dataDir, sandbox.sandboxId, "cat kept.txt")).output, "mine");
        assert.equal((await provider.diff!(sandbox.sandboxId, outs as Outputs, outs as Outputs)).changes, false);
        await provider.delete!(sandbox.sandboxId, outs as Outputs);
        assert.equal(existsSync(sandboxDir(dataDir, sandbox.sandboxId)), false);
    });

    it("one supervisor process serves every sandbox of the stack, and ends with the last of them", async function () {
        const own = await fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-sandboxes-"));
        const make = async () => (await provider.create({ ...(await inputs()), backend: { kind: "local", dataDir: own } })).outs as Outputs;
        try {
            const [a, b, c] = [await make(), await make(), await make()];
            const record = async (s: Outputs) => (await readRecord(sandboxDir(own, s.sandboxId)))!;
            const host = (await record(a)).supervisor!;
            for (const s of [a, b, c]) assert.deepEqual((await record(s)).supervisor, host);
            const cmdline = (pid: string) => readFileSync(`/proc/${pid}/cmdline`, "utf8");
            const supervisors = (await fs.readdir("/proc")).filter((pid) => /^\d+$/.test(pid) && /supervisor\.[jt]s/.test(cmdline(pid)) && cmdline(pid).includes(own));
            assert.deepEqual(supervisors.map(Number), [host.pid]);

            await provider.delete!(a.sandboxId, a);
            assert.ok(isAlive(host), "still serving the others");
            assert.ok(supervisorAlive(own, await record(b)) && supervisorAlive(own, await record(c)));
            await provider.delete!(b.sandboxId, b);
            await provider.delete!(c.sandboxId, c);
            assert.ok(await waitUntil(() => !isAlive(host), 5000), "the supervisor exits once no sandbox is left");
        } finally {
            await fs.rm(own, { recursive: true, force: true });
        }
    });

    it("delete of a sandbox already gone succeeds", async function () {
        const sandbox = await create();
        await provider.delete!(sandbox.sandboxId, sandbox);
        await provider.delete!(sandbox.sandboxId, sandbox);
        await provider.delete!("sbx-000000000000", { ...sandbox, sandboxId: "sbx-000000000000" });
    });

    it("create adopts the live sandbox an interrupted run of the same resource left", async function () {
        const first = await create();
        const again = await provider.create({ ...(await inputs()), tags: first.tags });
        assert.equal(again.id, first.sandboxId);
        const ids = await fs.readdir(path.join(dataDir, "sandboxes"));
        const records = await Promise.all(ids.map((id) => readRecord(sandboxDir(dataDir, id))));
        const mine = records.filter((r) => r?.tags["flow-nexus:urn"] === first.tags["flow-nexus:urn"]);
        assert.deepEqual(
            mine.map((r) => r!.id),
            [first.sandboxId],
        );
    });

    it("create replaces a dead sandbox the same resource left, instead of adopting it", async function () {
        const first = await create();
        const sleeper = await runInSandbox(dataDir, first.sandboxId, "exec sleep 300", { background: true });
        const supervisor = await supervisorOf(first);
        signalPids([supervisor.pid], "SIGKILL");
        assert.ok(await waitUntil(() => !isAlive(supervisor), 5000));
        const again = await create({ tags: first.tags });
        assert.notEqual(again.sandboxId, first.sandboxId);
        assert.equal(existsSync(sandboxDir(dataDir, first.sandboxId)), false);
        assert.equal(isAlive(sleeper), false);
    });

    it("runs plain processes when bubblewrap is not used, with the same lifecycle", async function () {
        process.env.FLOW_NEXUS_SANDBOX_ISOLATION = "process";
        try {
            const sandbox = await create({ ports: 1, envs: { MODE: "plain" } });
            assert.equal(sandbox.isolation, "process");
            const result = await runInSandbox(dataDir, sandbox.sandboxId, "echo $MODE; pwd");
            assert.equal(result.output, `plain\n${sandbox.workDir}`);
            // A daemon that leaves its process group is still found by the sandbox's marker.
            await runInSandbox(dataDir, sandbox.sandboxId, "setsid sleep 300 > /dev/null 2>&1 &", { background: true });
            const server = await startServer(sandbox);
            assert.ok(await waitUntil(() => leftovers(sandbox.sandboxId).length >= 2, 5000));
            await provider.delete!(sandbox.sandboxId, sandbox);
            assert.equal(isAlive(server), false);
            assert.equal(await isListening(sandbox.allocatedPorts[0]), false);
            assert.deepEqual(leftovers(sandbox.sandboxId), []);
        } finally {
            delete process.env.FLOW_NEXUS_SANDBOX_ISOLATION;
        }
    });
});
