import * as pulumi from "@pulumi/pulumi";
import { BackendRef } from "../providers/runtime/lineage";
import { Identity, IdentityArgs } from "./identity";
import { Services, ServicesArgs } from "./services";

/** The arguments of {@link FlowNexusPlatform}. */
export interface FlowNexusPlatformArgs {
    /** Phase 1: the account and the published configuration (less the backend). */
    readonly identity: Omit<IdentityArgs, "backend">;
    /** Phase 2: sandbox, storage, schema and realtime (less the backend). */
    readonly services: Omit<ServicesArgs, "backend">;
    /** Where the platform's services live: `local` (the stack's data folder) or `cloud`. */
    readonly backend: pulumi.Input<BackendRef>;
}

/**
 * The whole Flow Nexus platform, one component per phase of the process.
 * Every child's name derives from `name`, so a program can hold several
 * platforms side by side.
 */
export class FlowNexusPlatform extends pulumi.ComponentResource {
    public readonly identity: Identity;
    public readonly services: Services;

    constructor(name: string, args: FlowNexusPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:platform:FlowNexusPlatform", name, {}, opts);
        this.identity = new Identity(`${name}-identity`, { ...args.identity, backend: args.backend }, { parent: this });
        this.services = new Services(
            `${name}-services`,
            { ...args.services, backend: args.backend },
            // Services belong to the account: it exists before they do.
            { parent: this, dependsOn: [this.identity.user] },
        );
        this.registerOutputs({ phase1Complete: this.identity.complete, phase2Complete: this.services.complete });
    }
}
