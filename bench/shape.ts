/**
 * The shape of a deployed program, for the benchmark's floor to copy: its
 * components (each with its parent and the outputs it registered), and its
 * dynamic resources (each with its parent component, the dynamic resources
 * it depends on, and the properties the engine keeps in the state for it),
 * in the state's order, which is the order they were registered in.
 *
 * The properties are what the engine serializes at every checkpoint, so the
 * floor's engine does that work too: the engine's own cost for the same
 * resources. A secret keeps only its length (the floor makes a secret of as
 * many characters), so no secret of the measured stack reaches the floor.
 */
export interface Shape {
    components: { parent?: number; outputs: Props }[];
    resources: { parent: number; deps: number[]; inputs: Props; outputs: Props; secretOutputs?: string[] }[];
}

export type Props = Record<string, unknown>;

/** How the shape carries a secret: its plaintext's length. */
export const SECRET = "flow-nexus:floor-secret";

/** Pulumi's mark of a secret in an exported state, beside its ciphertext (`v1:<nonce>:<base64 of AES-GCM>`). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const GCM_TAG_BYTES = 16;

interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    parent?: string;
    dependencies?: string[];
    inputs?: Props;
    outputs?: Props;
    additionalSecretOutputs?: string[];
}

/** A state's property value with each secret replaced by its length (of the JSON-encoded plaintext). */
function carried(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(carried);
    if (value === null || typeof value !== "object") return value;
    const object = value as Props;
    if (SECRET_SIG in object) {
        const body = String(object.ciphertext ?? "").split(":").pop() ?? "";
        return { [SECRET]: Math.max(1, Buffer.from(body, "base64").length - GCM_TAG_BYTES) };
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, carried(v)]));
}

/** A resource's properties as the floor takes them: without the provider Pulumi stores beside them (the floor has its own). */
function props(properties: Props | undefined): Props {
    const { __provider: _provider, ...rest } = properties ?? {};
    return carried(rest) as Props;
}

/** The shape of the resources of a `pulumi stack export`. */
export function shapeOf(exported: ReadonlyArray<Record<string, unknown>>): Shape {
    const resources = exported as unknown as readonly StateResource[];
    const components = resources.filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack");
    const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    const index = (list: readonly StateResource[], urn?: string) => list.findIndex((r) => r.urn === urn);
    const componentOf = (r: StateResource) => {
        const parent = index(components, r.parent);
        if (parent < 0) throw new Error(`${r.urn} has no component for a parent: the floor cannot copy it`);
        return parent;
    };
    return {
        components: components.map((c) => {
            const parent = index(components, c.parent);
            return { ...(parent < 0 ? {} : { parent }), outputs: props(c.outputs) };
        }),
        resources: dynamic.map((r) => ({
            parent: componentOf(r),
            deps: (r.dependencies ?? []).map((d) => index(dynamic, d)).filter((d) => d >= 0),
            inputs: props(r.inputs),
            outputs: props(r.outputs),
            ...(r.additionalSecretOutputs?.length ? { secretOutputs: r.additionalSecretOutputs } : {}),
        })),
    };
}
