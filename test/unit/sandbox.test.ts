import { strict as assert } from "assert";
import { provider, Inputs, Outputs } from "../../providers/sandbox/resource";
import { timeoutAction } from "../../providers/sandbox/supervisor";

const tags = { "flow-nexus:project": "p", "flow-nexus:stack": "dev", "flow-nexus:urn": "urn:pulumi:dev::p::flownexus:Sandbox::s" };
const valid = { template: "node", backend: { kind: "local", dataDir: "/tmp/x" }, tags } as unknown as Inputs;

async function reasons(overrides: Record<string, unknown>): Promise<string[]> {
    const { failures } = await provider.check!({} as Inputs, { ...valid, ...overrides } as Inputs);
    return (failures ?? []).map((f) => f.reason);
}

describe("unit: Sandbox inputs", function () {
    it("applies the defaults", async function () {
        const { inputs, failures } = await provider.check!({} as Inputs, valid);
        assert.deepEqual(failures, []);
        assert.deepEqual(
            { ...inputs, backend: undefined, tags: undefined },
            { template: "node", timeoutSeconds: 3600, envs: {}, metadata: {}, onTimeout: "kill", ports: 0, links: [], backend: undefined, tags: undefined },
        );
    });

    it("accepts every template and the whole timeout range", async function () {
        for (const template of ["node", "python", "react", "nextjs", "vanilla", "base", "claude-code"]) {
            assert.deepEqual(await reasons({ template }), []);
        }
        assert.deepEqual(await reasons({ timeoutSeconds: 60, ports: 16, onTimeout: "pause" }), []);
        assert.deepEqual(await reasons({ timeoutSeconds: 86400, envs: { _A1: "x" }, metadata: { "any key": "v" } }), []);
    });

    it("names the property and what is allowed", async function () {
        const cases: [Record<string, unknown>, string][] = [
            [{ template: "cobol" }, 'template must be one of node, python, react, nextjs, vanilla, base, claude-code (got "cobol")'],
            [{ timeoutSeconds: -5 }, "timeoutSeconds must be a whole number from 60 to 86400 seconds (got -5)"],
            [{ timeoutSeconds: 86401 }, "timeoutSeconds must be a whole number from 60 to 86400 seconds (got 86401)"],
            [{ timeoutSeconds: 90.5 }, "timeoutSeconds must be a whole number from 60 to 86400 seconds (got 90.5)"],
            [
                { envs: { "1BAD": "x" } },
                'envs key "1BAD" must be a letter or underscore followed by letters, digits or underscores',
            ],
            [{ envs: { GOOD: 5 } }, 'envs.GOOD must be a string (got 5)'],
            [{ metadata: ["a"] }, 'metadata must be a map of names to strings (got ["a"])'],
            [{ onTimeout: "stop" }, 'onTimeout must be one of kill, pause (got "stop")'],
            [{ ports: 17 }, "ports must be a whole number from 0 to 16 (got 17)"],
            [{ startupScript: "" }, "startupScript must be a non-empty string"],
            [{ backend: { kind: "mainframe" } }, 'backend.kind must be one of local, cloud for this resource (got "mainframe")'],
        ];
        for (const [overrides, reason] of cases) assert.deepEqual(await reasons(overrides), [reason]);
    });
});

describe("unit: Sandbox diff", function () {
    const olds = { ...valid, timeoutSeconds: 3600, envs: { A: "1" }, metadata: {}, onTimeout: "kill", ports: 1 } as unknown as Outputs;
    const diff = (news: Partial<Inputs>) => provider.diff!("sbx-1", olds, { ...olds, ...news } as Inputs);

    it("replaces the sandbox when its template, envs, metadata, startup script or ports change", async function () {
        assert.deepEqual((await diff({ template: "python" })).replaces, ["template"]);
        assert.deepEqual((await diff({ envs: { A: "2" } })).replaces, ["envs"]);
        assert.deepEqual((await diff({ metadata: { team: "x" } })).replaces, ["metadata"]);
        assert.deepEqual((await diff({ startupScript: "true" })).replaces, ["startupScript"]);
        assert.deepEqual((await diff({ ports: 2 })).replaces, ["ports"]);
    });

    it("updates the timeout and what happens at it in place", async function () {
        const timeout = await diff({ timeoutSeconds: 7200 });
        assert.equal(timeout.changes, true);
        assert.deepEqual(timeout.replaces, []);
        const onTimeout = await diff({ onTimeout: "pause" });
        assert.equal(onTimeout.changes, true);
        assert.deepEqual(onTimeout.replaces, []);
    });

    it("sees no change when nothing changed, whatever the key order", async function () {
        assert.equal((await diff({ envs: { A: "1" } })).changes, false);
    });
});

describe("unit: Sandbox supervisor clock", function () {
    const endAt = "2030-01-01T00:00:00.000Z";
    const before = Date.parse(endAt) - 1;
    const after = Date.parse(endAt) + 1;

    it("does nothing before the end time", function () {
        assert.equal(timeoutAction({ endAt, onTimeout: "kill" }, false, before), "none");
    });

    it("kills or pauses at the end time, as onTimeout says", function () {
        assert.equal(timeoutAction({ endAt, onTimeout: "kill" }, false, after), "kill");
        assert.equal(timeoutAction({ endAt, onTimeout: "pause" }, false, after), "pause");
    });

    it("keeps a paused sandbox paused until it is given time again", function () {
        assert.equal(timeoutAction({ endAt, onTimeout: "pause" }, true, after), "none");
        assert.equal(timeoutAction({ endAt, onTimeout: "pause" }, true, before), "resume");
    });
});
