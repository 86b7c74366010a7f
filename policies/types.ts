/** The resource type tokens the policies look for. */
export function flowNexusType(name: string): string {
    return `pulumi-nodejs:dynamic/flownexus:${name}`;
}
