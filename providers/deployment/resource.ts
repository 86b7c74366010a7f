import * as pulumi from "@pulumi/pulumi";
import { AuditedProvider } from "../runtime/crud";
import { diffInputs } from "../runtime/diff";
import { BackendRef } from "../runtime/lineage";
import { Linkable, missingLinkCredentials } from "../runtime/links";
import { FlowNexusResource } from "../runtime/resource";
import { ArgsOf, checkInputs, hasUnknown, inputNames, replacedBy, seeded, UNKNOWN } from "../runtime/schema";
import { DeploymentBackend, Inputs, Outputs, schema } from "./schema";
import { inspectSource, NODE_START, NPM_INSTALL } from "./source";

export { schema, DeploymentBackend, Inputs, Outputs, Source, Template, TEMPLATES } from "./schema";
export { Linkable, withServiceRole } from "../runtime/links";

// Loaded on first use, so a program (or a preview) never loads a backend.
const backends: Partial<Record<BackendRef["kind"], () => Promise<DeploymentBackend>>> = {
    local: async () => (await import("./local")).backend,
    cloud: async () => (await import("./e2b")).backend,
};

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "Deployment",
            inputs: inputNames(schema),
            backends,
            id: (outs) => outs.deploymentId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const checked = checkInputs(schema, news);
        const inputs = checked.inputs as Inputs;
        const failures = checked.failures;
        // On the cloud the links' keys are the Supabase project's: missing ones fail the preview.
        const missing = missingLinkCredentials(inputs.backend?.kind, inputs.links);
        if (missing) failures.push({ property: "links", reason: missing });
        // Both templates start with server.js; a directory's default depends on its files (below).
        if (inputs.startCommand === undefined && typeof inputs.source?.template === "string") inputs.startCommand = NODE_START;
        if (failures.some((f) => f.property === "source")) return { inputs, failures };
        if (hasUnknown(inputs.source)) {
            // Known at apply; the engine shows the hash as unknown until then.
            inputs.sourceHash = UNKNOWN;
            return { inputs, failures };
        }
        try {
            const facts = await inspectSource(inputs.source);
            inputs.sourceHash = facts.sourceHash;
            if (inputs.installCommand === undefined && facts.hasDependencies) inputs.installCommand = NPM_INSTALL;
            if (inputs.startCommand === undefined && facts.hasServerJs) inputs.startCommand = NODE_START;
        } catch (err) {
            failures.push({ property: "source", reason: (err as Error).message });
            return { inputs, failures };
        }
        if (inputs.startCommand === undefined) {
            failures.push({ property: "startCommand", reason: "startCommand is required for a directory source without server.js" });
        }
        return { inputs, failures };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // A replacement on the same port must free it first, or the new app could not listen.
        return diffInputs(olds as never, news as never, inputNames(schema), replacedBy(schema), olds.port === news.port);
    }
}

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/**
 * The arguments of a {@link Deployment}: its inputs (see ./schema), the
 * lineage tags set for it; the source hash is computed; `links` takes the
 * resources themselves.
 */
export type DeploymentArgs = ArgsOf<typeof schema, "tags" | "sourceHash" | "links"> & { readonly links?: readonly Linkable[] };

/** An application deployed into a sandbox and verified healthy (phase 3). */
export class Deployment extends FlowNexusResource {
    public readonly sandboxId!: pulumi.Output<string>;
    public readonly port!: pulumi.Output<number>;
    public readonly healthPath!: pulumi.Output<string>;
    public readonly sourceHash!: pulumi.Output<string>;
    public readonly deploymentId!: pulumi.Output<string>;
    public readonly url!: pulumi.Output<string>;
    public readonly healthUrl!: pulumi.Output<string>;
    public readonly status!: pulumi.Output<Outputs["status"]>;
    public readonly appDir!: pulumi.Output<string>;
    public readonly logFile!: pulumi.Output<string>;

    constructor(name: string, args: DeploymentArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            ...seeded(schema),
            ...args,
            links: (args.links ?? []).map((l) => l.link),
            // Computed by check from the source's files.
            sourceHash: undefined,
            deploymentId: undefined,
            url: undefined,
            healthUrl: undefined,
            status: undefined,
            appDir: undefined,
            logFile: undefined,
        };
        super("Deployment", name, props, opts);
    }
}
