import { strict as assert } from "assert";
import { backendKind, checkProps, integer, list, oneOf, optional, text, UNKNOWN } from "../../providers/runtime/check";
import { diffInputs, sameValue } from "../../providers/runtime/diff";

describe("unit: input rules", function () {
    const rules = {
        name: text({ pattern: "^[a-z]+$", allowed: "lowercase letters" }),
        size: optional(integer(1, 10, " MB")),
        kind: oneOf(["a", "b"]),
        tags: optional(list(text(), { minItems: 1 })),
    };
    const valid = { name: "ok", size: 5, kind: "a", tags: ["x"] };

    it("accepts valid input", function () {
        assert.deepEqual(checkProps(valid, rules), []);
    });

    it("names the property and what is allowed", function () {
        assert.deepEqual(checkProps({ ...valid, name: "Not OK" }, rules), [
            { property: "name", reason: 'name must be lowercase letters (got "Not OK")' },
        ]);
        assert.deepEqual(checkProps({ ...valid, size: 11 }, rules), [
            { property: "size", reason: "size must be a whole number from 1 to 10 MB (got 11)" },
        ]);
        assert.deepEqual(checkProps({ ...valid, kind: "c" }, rules), [
            { property: "kind", reason: 'kind must be one of a, b (got "c")' },
        ]);
        assert.deepEqual(checkProps({ ...valid, tags: ["x", ""] }, rules), [
            { property: "tags", reason: "tags [1] must be a non-empty string" },
        ]);
        assert.deepEqual(checkProps({ ...valid, tags: [] }, rules), [
            { property: "tags", reason: "tags must have at least 1 item" },
        ]);
    });

    it("reports every bad property, not just the first", function () {
        const failures = checkProps({ name: "", size: 0.5, kind: "a" }, rules);
        assert.deepEqual(
            failures.map((f) => f.property),
            ["name", "size"],
        );
    });

    it("leaves optional properties and values unknown at preview alone", function () {
        assert.deepEqual(checkProps({ name: UNKNOWN, kind: "b" }, rules), []);
        assert.deepEqual(checkProps({ ...valid, tags: ["x", UNKNOWN] }, rules), []);
    });

    it("checks the backend kind against the backends a resource has", function () {
        const rule = backendKind(["local"]);
        assert.equal(rule({ kind: "local" }), undefined);
        assert.equal(rule({ kind: "cloud" }), 'kind must be one of local for this resource (got "cloud")');
    });
});

describe("unit: diffing inputs", function () {
    it("compares JSON values structurally, ignoring key order and undefined keys", function () {
        assert.ok(sameValue({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined }));
        assert.ok(!sameValue([1, 2], [2, 1]));
        assert.ok(!sameValue({ a: 1 }, { a: "1" }));
    });

    it("updates in place unless a replacing input changed", function () {
        const olds = { name: "a", size: 1, out: "x" };
        assert.deepEqual(diffInputs(olds, { name: "a", size: 2 }, ["name", "size"], ["name"]), {
            changes: true,
            replaces: [],
            stables: ["name"],
            deleteBeforeReplace: false,
        });
        assert.deepEqual(diffInputs(olds, { name: "b", size: 1 }, ["name", "size"], ["name"], true), {
            changes: true,
            replaces: ["name"],
            stables: ["size"],
            deleteBeforeReplace: true,
        });
        assert.equal(diffInputs(olds, { name: "a", size: 1 }, ["name", "size"], ["name"]).changes, false);
    });
});
