import { readFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import { Props, SECRET, Shape } from "../shape";

/**
 * A provider that creates nothing and never sees a change: the engine's own
 * cost, nothing else. Its outputs are its inputs, and the measured
 * resource's outputs that are not among them (`__floorOuts`, as JSON).
 */
const noop: pulumi.dynamic.ResourceProvider = {
    async create(inputs) {
        const { __floorOuts: outs, ...rest } = inputs;
        return { id: `noop-${inputs.index}`, outs: { ...rest, ...JSON.parse(outs) } };
    },
    async diff() {
        return { changes: false };
    },
};

class Noop extends pulumi.dynamic.Resource {
    constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
        super(noop, name, props, opts, "flownexus", "Noop");
    }
}

/** A component that registers the measured component's outputs, as the platform's do. */
class Component extends pulumi.ComponentResource {
    constructor(name: string, outputs: Props, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:floor:Component", name, {}, opts);
        this.registerOutputs(revive(outputs, true));
    }
}

/** A shape's properties as values again: each carried secret a secret of as many characters (or, in outputs the provider returns, its plain placeholder). */
function revive(value: unknown, secrets: boolean): any {
    if (Array.isArray(value)) return value.map((v) => revive(v, secrets));
    if (value === null || typeof value !== "object") return value;
    const object = value as Props;
    if (SECRET in object) {
        const placeholder = "x".repeat(Number(object[SECRET]));
        return secrets ? pulumi.secret(placeholder) : placeholder;
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, revive(v, secrets)]));
}

/** The measured resource's outputs that its inputs do not already give. */
function extraOutputs(inputs: Props, outputs: Props): Props {
    return Object.fromEntries(Object.entries(outputs).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(inputs[k])));
}

// The measured program's shape, resource for resource: its components, and
// as many dynamic resources under the same parents, with the same properties,
// each taking the ids of the resources the measured one depends on, so the
// engine walks the same graph and keeps the same state.
// (A file: ten platforms' properties are more than an environment variable, which carries the config, may hold.)
const shape = JSON.parse(readFileSync(new pulumi.Config().require("shapeFile"), "utf8")) as Shape;
const OWN = ["index", "after", "__floorOuts"];
const components: Component[] = [];
shape.components.forEach((c, i) =>
    components.push(new Component(`component-${i}`, c.outputs, { parent: c.parent === undefined ? undefined : components[c.parent] })),
);
const noops: Noop[] = [];
shape.resources.forEach((r, i) => {
    const taken = OWN.filter((k) => k in r.inputs);
    if (taken.length) throw new Error(`resource ${i} has inputs named ${taken.join(", ")}: the floor's own`);
    noops.push(
        new Noop(
            `noop-${i}`,
            { ...revive(r.inputs, true), index: i, after: r.deps.map((d) => noops[d].id), __floorOuts: JSON.stringify(revive(extraOutputs(r.inputs, r.outputs), false)) },
            { parent: components[r.parent], additionalSecretOutputs: r.secretOutputs },
        ),
    );
});
