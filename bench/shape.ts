/**
 * The shape of a deployed program, for the benchmark's floor to copy: its
 * components (each with its parent), and its dynamic resources (each with its
 * parent component and the dynamic resources it depends on), in the state's
 * order, which is the order they were registered in.
 */
export interface Shape {
    components: { parent?: number }[];
    resources: { parent: number; deps: number[] }[];
}

interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    parent?: string;
    dependencies?: string[];
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
            return parent < 0 ? {} : { parent };
        }),
        resources: dynamic.map((r) => ({
            parent: componentOf(r),
            deps: (r.dependencies ?? []).map((d) => index(dynamic, d)).filter((d) => d >= 0),
        })),
    };
}
