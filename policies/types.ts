import { PolicyResource } from "@pulumi/policy";

/** The type token of a flow-nexus resource, e.g. `Sandbox`. */
export function flowNexusType(name: string): string {
    return `pulumi-nodejs:dynamic/flownexus:${name}`;
}

export const FLOW_NEXUS_PREFIX = "pulumi-nodejs:dynamic/flownexus:";

/** The resources of one flow-nexus type in a stack policy's view. */
export function ofType(resources: PolicyResource[], name: string): PolicyResource[] {
    return resources.filter((r) => r.type === flowNexusType(name));
}

/** How a violation names a resource: `Sandbox dev-sandbox`. */
export function label(type: string, name: string): string {
    return `${type.replace(FLOW_NEXUS_PREFIX, "")} ${name}`;
}
