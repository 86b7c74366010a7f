import * as pulumi from "@pulumi/pulumi";
import { Deployment, DeploymentArgs } from "../providers/deployment/resource";
import { BackendRef } from "../providers/runtime/lineage";
import { Sandbox } from "../providers/sandbox/resource";

/** The arguments of {@link Application}. */
export interface ApplicationArgs {
    /** The sandbox to deploy into; its first allocated port serves the app. */
    readonly sandbox: Sandbox;
    /** What to deploy, how to start it and how to check it; the port defaults to the sandbox's first. */
    readonly app: Omit<DeploymentArgs, "sandboxId" | "port" | "backend"> & { readonly port?: pulumi.Input<number> };
    /** Where the deployment lives. */
    readonly backend: pulumi.Input<BackendRef>;
}

function firstPort(ports: number[]): number {
    if (ports.length === 0) throw new pulumi.RunError("the sandbox has no port for the app: set flow-nexus:sandbox.ports to 1 or more");
    return ports[0];
}

/** Phase 3 is complete when the app is deployed, declares a health check and answered it healthy. */
export function applicationComplete(status: string | undefined, healthUrl: string | undefined): boolean {
    return status === "healthy" && Boolean(healthUrl);
}

/** Phase 3, deploy applications: the app in the sandbox, checked healthy. */
export class Application extends pulumi.ComponentResource {
    public readonly deployment: Deployment;
    public readonly complete: pulumi.Output<boolean>;

    constructor(name: string, args: ApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:application:Application", name, {}, opts);
        this.deployment = new Deployment(
            `${name}-deployment`,
            {
                ...args.app,
                sandboxId: args.sandbox.sandboxId,
                port: args.app.port ?? args.sandbox.allocatedPorts.apply(firstPort),
                backend: args.backend,
            },
            { parent: this },
        );
        this.complete = pulumi
            .all([this.deployment.status, this.deployment.healthUrl])
            .apply(([status, healthUrl]) => applicationComplete(status, healthUrl));
        this.registerOutputs({ complete: this.complete });
    }
}
