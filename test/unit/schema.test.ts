import { strict as assert } from "assert";
import { backendRef, boundsOf, checkInputs, defaultOf, field, inputNames, list, oneOf, replacedBy, text, UNKNOWN, wholeNumber, z } from "../../providers/runtime/schema";
import { diffInputs, sameValue } from "../../providers/runtime/diff";

describe("unit: input schemas", function () {
    const schema = z.object({
        name: field(text({ pattern: "^[a-z]+$", allowed: "lowercase letters" }), { replaces: true }),
        size: wholeNumber(1, 10, " MB").optional(),
        kind: oneOf(["a", "b"]).default("a"),
        tags: list(text(), { minItems: 1 }).optional(),
        backend: backendRef(["local"], []),
    });
    const valid = { name: "ok", size: 5, kind: "a", tags: ["x"], backend: { kind: "local" } };

    it("accepts valid input and applies defaults", function () {
        assert.deepEqual(checkInputs(schema, valid).failures, []);
        assert.equal(checkInputs(schema, { ...valid, kind: undefined }).inputs.kind, "a");
    });

    it("names the property and what is allowed", function () {
        const reasons = (input: object) => checkInputs(schema, { ...valid, ...input }).failures;
        assert.deepEqual(reasons({ name: "Not OK" }), [{ property: "name", reason: 'name must be lowercase letters (got "Not OK")' }]);
        assert.deepEqual(reasons({ size: 11 }), [{ property: "size", reason: "size must be a whole number from 1 to 10 MB (got 11)" }]);
        assert.deepEqual(reasons({ kind: "c" }), [{ property: "kind", reason: 'kind must be one of a, b (got "c")' }]);
        assert.deepEqual(reasons({ tags: ["x", ""] }), [{ property: "tags", reason: "tags[1] must be a non-empty string" }]);
        assert.deepEqual(reasons({ tags: [] }), [{ property: "tags", reason: "tags must have at least 1 item" }]);
        assert.deepEqual(reasons({ backend: { kind: "cloud" } }), [
            { property: "backend", reason: 'backend.kind must be one of local for this resource (got "cloud")' },
        ]);
    });

    it("reports every bad property, not just the first", function () {
        const { failures } = checkInputs(schema, { name: "", size: 0.5, kind: "a", backend: { kind: "local" } });
        assert.deepEqual(
            failures.map((f) => f.property),
            ["name", "size"],
        );
    });

    it("leaves optional properties and values unknown at preview alone", function () {
        assert.deepEqual(checkInputs(schema, { name: UNKNOWN, kind: "b", backend: { kind: "local" } }).failures, []);
        assert.deepEqual(checkInputs(schema, { ...valid, tags: ["x", UNKNOWN], size: UNKNOWN }).failures, []);
    });

    it("derives the diff's inputs, the replace list, defaults and bounds from the schema", function () {
        assert.deepEqual(inputNames(schema), ["name", "size", "kind", "tags", "backend"]);
        assert.deepEqual(replacedBy(schema), ["name", "backend"]);
        assert.equal(defaultOf(schema.shape.kind), "a");
        assert.deepEqual(boundsOf(schema.shape.size), { min: 1, max: 10 });
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

    it("an input older state does not have equals an empty list or map: no change, no replacement", function () {
        const made = { template: "node", envs: {} };
        assert.deepEqual(diffInputs(made, { template: "node", envs: {}, links: [] }, ["template", "envs", "links"], ["links"]).changes, false);
        assert.deepEqual(diffInputs(made, { template: "node", envs: {}, links: [{ name: "db" }] }, ["template", "envs", "links"], ["links"]).replaces, ["links"]);
        assert.deepEqual(diffInputs({ links: [{ name: "db" }] }, { links: [] }, ["links"], ["links"]).replaces, ["links"], "emptied is a change");
    });
});
