import * as pulumi from "@pulumi/pulumi";

/** A provider that creates nothing and never sees a change: the engine's own cost, nothing else. */
const noop: pulumi.dynamic.ResourceProvider = {
    async create(inputs) {
        return { id: `noop-${inputs.index}`, outs: inputs };
    },
    async diff() {
        return { changes: false };
    },
};

class Noop extends pulumi.dynamic.Resource {
    constructor(name: string, index: number) {
        super(noop, name, { index }, {}, "flownexus", "Noop");
    }
}

const count = new pulumi.Config().requireNumber("count");
for (let i = 0; i < count; i++) new Noop(`noop-${i}`, i);
