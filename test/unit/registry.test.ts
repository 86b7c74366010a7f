import * as assert from "assert";
import * as registry from "../../providers/registry";

const urn = (type: string) => `urn:pulumi:dev::flow-nexus::flownexus:platform:FlowNexusPlatform$flownexus:services:Services$pulumi-nodejs:dynamic/flownexus:${type}::flow-nexus-services-${type}`;

describe("the registry: one serialized provider for every type", function () {
    it("hands a call to the provider of the type in the resource's URN", function () {
        for (const type of registry.TYPES) {
            assert.strictEqual(registry.providerFor({ tags: { "flow-nexus:urn": urn(type) } }), registry.providerOf(type), type);
        }
    });

    it("takes the type from the first props that carry a URN (a check's new inputs, else its old ones)", function () {
        assert.strictEqual(registry.providerFor({}, { tags: { "flow-nexus:urn": urn("Sandbox") } }), registry.providerOf("Sandbox"));
    });

    it("names what is wrong when the URN is missing, foreign or of an unknown type", async function () {
        assert.throws(() => registry.providerFor({}), /cannot tell this resource's type: its flow-nexus:urn tag is missing/);
        assert.throws(() => registry.providerFor({ tags: { "flow-nexus:urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b" } }), /tag is "urn:pulumi:dev::p::aws:s3\/bucket:Bucket::b"/);
        assert.throws(() => registry.providerFor({ tags: { "flow-nexus:urn": urn("Teapot") } }), /flow-nexus has no resource type Teapot \(known: AutoRefill, /);
        await assert.rejects(registry.check({}, { name: "x" }), /cannot tell this resource's type/);
    });
});
