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
    constructor(name: string, index: number, opts: pulumi.CustomResourceOptions) {
        super(noop, name, { index }, opts, "flownexus", "Noop");
    }
}

/** A component that registers its outputs, as the platform's do. */
class Component extends pulumi.ComponentResource {
    constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
        super(`flownexus:floor:${type}`, name, {}, opts);
        this.registerOutputs({});
    }
}

/** The shape of a platform: one component with five phase components under it. */
function platform(name: string): Component[] {
    const root = new Component("Platform", name);
    return ["Identity", "Billing", "Services", "Application", "Operations"].map((phase) => new Component(phase, `${name}-${phase}`, { parent: root }));
}

const config = new pulumi.Config();
const count = config.requireNumber("count");
// As many platforms as the program measured has, and its number of dynamic resources spread over their phases.
const phases = Array.from({ length: config.getNumber("platforms") ?? 1 }, (_, i) => platform(`floor-${i}`)).flat();
for (let i = 0; i < count; i++) new Noop(`noop-${i}`, i, { parent: phases[i % phases.length] });
