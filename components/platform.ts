import * as pulumi from "@pulumi/pulumi";
import { DataGuard } from "../providers/guard/resource";
import { BackendRef } from "../providers/runtime/lineage";
import { Application, ApplicationArgs } from "./application";
import { Billing, BillingArgs } from "./billing";
import { Identity, IdentityArgs } from "./identity";
import { Operations, OperationsArgs } from "./operations";
import { Services, ServicesArgs } from "./services";

/** The arguments of {@link FlowNexusPlatform}. */
export interface FlowNexusPlatformArgs {
    /** Phase 1: the account and the published configuration. */
    readonly identity: Omit<IdentityArgs, "backend">;
    /** Phase 5: prepaid credits and auto-refill for the platform's account (the user). */
    readonly billing: Omit<BillingArgs, "account" | "backend">;
    /** Phase 2: sandbox, storage, schema and realtime. */
    readonly services: Omit<ServicesArgs, "backends">;
    /** Phase 3: the app deployed into the sandbox. */
    readonly application: ApplicationArgs["app"] & { readonly port?: pulumi.Input<number> };
    /** Phase 4: the watchdog on the app and where its alerts go. */
    readonly operations: Omit<OperationsArgs, "deployment" | "backend">;
    /** Where each service lives: `local` (the stack's data folder) or `cloud`. */
    readonly backends: PlatformBackends;
    /** How a refused destroy names each data holder's forceDestroy setting (the stack config keys). Default: the resource alone. */
    readonly forceDestroySettings?: { readonly storage?: string; readonly database?: string; readonly billing?: string };
}

/** The backend of each service of the platform. */
export interface PlatformBackends {
    /** The account (PlatformUser): local users table, or Supabase Auth. */
    readonly auth: pulumi.Input<BackendRef>;
    /** Sandbox, Deployment and Monitor: process sandboxes, or E2B. */
    readonly sandbox: pulumi.Input<BackendRef>;
    /** StorageBucket: folders, or Supabase Storage. */
    readonly storage: pulumi.Input<BackendRef>;
    /** DatabaseSchema and RealtimeSubscription: the embedded Postgres, or the project's database. */
    readonly database: pulumi.Input<BackendRef>;
    /** AutoRefill and its ledger: the local processor, or Stripe. */
    readonly payments: pulumi.Input<BackendRef>;
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
    public readonly billing: Billing;
    /** True when every phase's gate holds (memory key flow-nexus/workflow-complete). */
    public readonly workflowComplete: pulumi.Output<boolean>;
    /** Deleted first on destroy: refuses it, before anything goes, while a data holder would lose data. */
    public readonly guard: DataGuard;

    constructor(name: string, args: FlowNexusPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:platform:FlowNexusPlatform", name, {}, opts);
        const { backends } = args;
        this.identity = new Identity(`${name}-identity`, { ...args.identity, backend: backends.auth }, { parent: this });
        // Billing comes before what costs money: the sandbox and the app draw on its credits.
        this.billing = new Billing(
            `${name}-billing`,
            { ...args.billing, account: this.identity.userId, backend: backends.payments },
            { parent: this },
        );
        this.services = new Services(
            `${name}-services`,
            { ...args.services, sandbox: { ...args.services.sandbox, billing: this.billing.ref }, backends },
            { parent: this },
        );
        this.application = new Application(
            `${name}-application`,
            {
                sandbox: this.services.sandbox,
                app: {
                    ...args.application,
                    billing: this.billing.ref,
                    // The app is linked to every service of the platform: it is told their names, and gets a role on the schema.
                    links: [this.services.schema, this.services.bucket, this.services.subscription, this.identity.user, ...(args.application.links ?? [])],
                },
                backend: backends.sandbox,
            },
            { parent: this },
        );
        this.operations = new Operations(
            `${name}-operations`,
            { ...args.operations, deployment: this.application.deployment, backend: backends.sandbox },
            { parent: this },
        );
        const { bucket, schema } = this.services;
        const { autoRefill } = this.billing;
        const settings = args.forceDestroySettings ?? {};
        this.guard = new DataGuard(
            `${name}-data-guard`,
            {
                holders: [
                    { type: "StorageBucket", name: bucket.urn.apply(nameOf), setting: settings.storage, state: { name: bucket.name, forceDestroy: bucket.forceDestroy, backend: bucket.backend } },
                    { type: "DatabaseSchema", name: schema.urn.apply(nameOf), setting: settings.database, state: { schema: schema.schema, forceDestroy: schema.forceDestroy, backend: schema.backend, tags: schema.tags } },
                    { type: "AutoRefill", name: autoRefill.urn.apply(nameOf), setting: settings.billing, state: { account: autoRefill.account, forceDestroy: autoRefill.forceDestroy, backend: autoRefill.backend } },
                ],
            },
            // Every resource of the platform, so that a destroy deletes the guard before any of them.
            { parent: this, dependsOn: [this.identity, this.billing, this.services, this.application, this.operations] },
        );
        this.workflowComplete = pulumi
            .all([this.identity.complete, this.services.complete, this.application.complete, this.operations.complete, this.billing.complete])
            .apply((phases) => phases.every(Boolean));
        this.registerOutputs({
            phase1Complete: this.identity.complete,
            phase2Complete: this.services.complete,
            phase3Complete: this.application.complete,
            phase4Complete: this.operations.complete,
            phase5Complete: this.billing.complete,
            workflowComplete: this.workflowComplete,
        });
    }
}

/** The name part of a URN. */
function nameOf(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}
