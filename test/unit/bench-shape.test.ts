import * as assert from "assert";
import { SECRET, shapeOf } from "../../bench/shape";

const secret = (ciphertext: string) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd61b4e1a3", ciphertext });
const urn = (type: string, name: string) => `urn:pulumi:dev::p::${type}::${name}`;

describe("the benchmark's floor copies the measured state's shape (bench/shape.ts)", function () {
    // An exported state: a stack, a component, and two dynamic resources, the second depending on the first.
    const state = [
        { urn: urn("pulumi:pulumi:Stack", "s"), type: "pulumi:pulumi:Stack", custom: false },
        { urn: urn("flownexus:c:C", "c"), type: "flownexus:c:C", custom: false, parent: urn("pulumi:pulumi:Stack", "s"), outputs: { complete: true } },
        {
            urn: urn("pulumi-nodejs:dynamic/flownexus:User", "u"),
            type: "pulumi-nodejs:dynamic/flownexus:User",
            custom: true,
            parent: urn("flownexus:c:C", "c"),
            // "bench-password-123" as JSON is 20 characters: 20 bytes of ciphertext and a 16-byte tag, in base64.
            inputs: { __provider: "exports.handler = ...", email: "a@b.c", password: secret(`v1:nonce:${Buffer.alloc(36).toString("base64")}`) },
            outputs: { __provider: "exports.handler = ...", email: "a@b.c", userId: "u-1", tags: { k: ["v"] } },
            additionalSecretOutputs: ["password"],
        },
        {
            urn: urn("pulumi-nodejs:dynamic/flownexus:Box", "b"),
            type: "pulumi-nodejs:dynamic/flownexus:Box",
            custom: true,
            parent: urn("flownexus:c:C", "c"),
            dependencies: [urn("pulumi-nodejs:dynamic/flownexus:User", "u"), urn("pulumi:providers:pulumi-nodejs", "default")],
            inputs: { user: "u-1" },
            outputs: { user: "u-1" },
        },
    ];

    it("keeps each resource's parent, dependencies and properties, without Pulumi's provider", function () {
        const shape = shapeOf(state);
        assert.deepStrictEqual(shape.components, [{ outputs: { complete: true } }]);
        assert.deepStrictEqual(shape.resources[1], { parent: 0, deps: [0], inputs: { user: "u-1" }, outputs: { user: "u-1" } });
        assert.deepStrictEqual(shape.resources[0].outputs, { email: "a@b.c", userId: "u-1", tags: { k: ["v"] } });
        assert.deepStrictEqual(shape.resources[0].secretOutputs, ["password"]);
    });

    it("carries a secret as its plaintext's length only, never its ciphertext", function () {
        const shape = shapeOf(state);
        assert.deepStrictEqual(shape.resources[0].inputs, { email: "a@b.c", password: { [SECRET]: 20 } });
        assert.ok(!JSON.stringify(shape).includes("ciphertext"));
    });
});
