import * as pulumi from "@pulumi/pulumi";
import { AuditedProvider } from "../runtime/crud";
import { diffInputs } from "../runtime/diff";
import { BackendRef } from "../runtime/lineage";
import { Linkable, missingLinkCredentials } from "../runtime/links";
import { FlowNexusResource } from "../runtime/resource";
import { ArgsOf, checkInputs, inputNames, replacedBy, seeded } from "../runtime/schema";
import { Inputs, Isolation, OnTimeout, Outputs, SandboxBackend, schema, Template } from "./schema";

export { schema, Inputs, Outputs, Isolation, OnTimeout, SandboxBackend, Template, TEMPLATES } from "./schema";

// Loaded on first use, so a program (or a preview) never loads a backend's SDK.
const backends: Partial<Record<BackendRef["kind"], () => Promise<SandboxBackend>>> = {
    local: async () => (await import("./local")).backend,
    cloud: async () => (await import("./e2b")).backend,
};

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "Sandbox",
            inputs: inputNames(schema),
            backends,
            id: (outs) => outs.sandboxId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const checked = checkInputs(schema, news);
        // On the cloud the links' keys are the Supabase project's: missing ones fail the preview.
        const missing = missingLinkCredentials(checked.inputs.backend?.kind, checked.inputs.links);
        return missing ? { ...checked, failures: [...checked.failures, { property: "links", reason: missing }] } : checked;
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        const cloud = olds.backend?.kind === "cloud" && news.backend?.kind === "cloud";
        return diffInputs(olds as never, news as never, inputNames(schema), replacedBy(schema, cloud));
    }
}

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link Sandbox}: its inputs (see ./schema), the lineage tags set for it; `links` takes the resources themselves. */
export type SandboxArgs = ArgsOf<typeof schema, "tags" | "links"> & { readonly links?: readonly Linkable[] };

/**
 * A sandbox: a supervised process sandbox locally, an E2B sandbox in the
 * cloud (where `host` is `<sandboxId>.<domain>` and port p is served at
 * `https://p-<host>`).
 */
export class Sandbox extends FlowNexusResource {
    public readonly template!: pulumi.Output<Template>;
    public readonly timeoutSeconds!: pulumi.Output<number>;
    public readonly onTimeout!: pulumi.Output<OnTimeout>;
    public readonly metadata!: pulumi.Output<Record<string, string>>;
    public readonly sandboxId!: pulumi.Output<string>;
    public readonly status!: pulumi.Output<Outputs["status"]>;
    public readonly host!: pulumi.Output<string>;
    public readonly allocatedPorts!: pulumi.Output<number[]>;
    public readonly urls!: pulumi.Output<string[]>;
    public readonly startedAt!: pulumi.Output<string>;
    public readonly endAt!: pulumi.Output<string>;
    public readonly isolation!: pulumi.Output<Isolation>;
    public readonly workDir!: pulumi.Output<string>;

    constructor(name: string, args: SandboxArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            ...seeded(schema),
            ...args,
            links: (args.links ?? []).map((l) => l.link),
            sandboxId: undefined,
            status: undefined,
            host: undefined,
            allocatedPorts: undefined,
            urls: undefined,
            startedAt: undefined,
            endAt: undefined,
            isolation: undefined,
            workDir: undefined,
        };
        super("Sandbox", name, props, opts);
    }
}
