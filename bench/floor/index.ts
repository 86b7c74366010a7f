import * as pulumi from "@pulumi/pulumi";
import type { Shape } from "../shape";

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
    constructor(name: string, props: { index: number; after: pulumi.Input<string>[] }, opts: pulumi.CustomResourceOptions) {
        super(noop, name, props, opts, "flownexus", "Noop");
    }
}

/** A component that registers its outputs, as the platform's do. */
class Component extends pulumi.ComponentResource {
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:floor:Component", name, {}, opts);
        this.registerOutputs({});
    }
}

// The measured program's shape, resource for resource: its components, and
// as many dynamic resources under the same parents, each taking the ids of
// the resources the measured one depends on, so the engine walks the same graph.
const shape = new pulumi.Config().requireObject<Shape>("shape");
const components: Component[] = [];
shape.components.forEach((c, i) => components.push(new Component(`component-${i}`, { parent: c.parent === undefined ? undefined : components[c.parent] })));
const noops: Noop[] = [];
shape.resources.forEach((r, i) => noops.push(new Noop(`noop-${i}`, { index: i, after: r.deps.map((d) => noops[d].id) }, { parent: components[r.parent] })));
