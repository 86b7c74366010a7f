import * as pulumi from "@pulumi/pulumi";
import { BackendRef } from "../providers/runtime/lineage";
import { Application, ApplicationArgs } from "./application";
import { Identity, IdentityArgs } from "./identity";
import { Operations, OperationsArgs } from "./operations";
import { Services, ServicesArgs } from "./services";

/** The arguments of {@link FlowNexusPlatform}. */
export interface FlowNexusPlatformArgs {
    /** Phase 1: the account and the published configuration (less the backend). */
    readonly identity: Omit<IdentityArgs, "backend">;
    /** Phase 2: sandbox, storage, schema and realtime (less the backend). */
    readonly services: Omit<ServicesArgs, "backend">;
    /** Phase 3: the app deployed into the sandbox. */
    readonly application: ApplicationArgs["app"] & { readonly port?: pulumi.Input<number> };
    /** Phase 4: the watchdog on the app and where its alerts go. */
    readonly operations: Omit<OperationsArgs, "deployment" | "backend">;
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
    public readonly application: Application;
    public readonly operations: Operations;

    constructor(name: string, args: FlowNexusPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:platform:FlowNexusPlatform", name, {}, opts);
        this.identity = new Identity(`${name}-identity`, { ...args.identity, backend: args.backend }, { parent: this });
        this.services = new Services(
            `${name}-services`,
            { ...args.services, backend: args.backend },
            // Services belong to the account: it exists before they do.
            { parent: this, dependsOn: [this.identity.user] },
        );
        this.application = new Application(
            `${name}-application`,
            { sandbox: this.services.sandbox, app: args.application, backend: args.backend },
            { parent: this },
        );
        this.operations = new Operations(
            `${name}-operations`,
            { ...args.operations, deployment: this.application.deployment, backend: args.backend },
            { parent: this },
        );
        this.registerOutputs({
            phase1Complete: this.identity.complete,
            phase2Complete: this.services.complete,
            phase3Complete: this.application.complete,
            phase4Complete: this.operations.complete,
        });
    }
}
