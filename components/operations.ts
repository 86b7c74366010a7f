import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "../providers/deployment/resource";
import { AlertChannel, Monitor, Thresholds } from "../providers/monitor/resource";
import { BackendRef } from "../providers/runtime/lineage";

/** The arguments of {@link Operations}. */
export interface OperationsArgs {
    /** The deployment to watch (and restart). */
    readonly deployment: Deployment;
    /** Seconds between checks. Default 30. */
    readonly intervalSeconds?: pulumi.Input<number>;
    /** Failures in a row before a restart and an alert, and the slowest acceptable answer. Defaults 3 and 2000 ms. */
    readonly thresholds?: pulumi.Input<Partial<Thresholds>>;
    /** Where alerts go. */
    readonly alerts: pulumi.Input<pulumi.Input<AlertChannel>[]>;
    /** Restart the app after the failures. Default true. */
    readonly restartOnFailure?: pulumi.Input<boolean>;
    /** Where the monitor lives. */
    readonly backend: pulumi.Input<BackendRef>;
}

/** Phase 4 is complete when the watchdog is active and at least one alert channel is configured. */
export function operationsComplete(status: string | undefined, alerts: readonly unknown[] | undefined): boolean {
    return status === "active" && (alerts?.length ?? 0) > 0;
}

/** Phase 4, manage operations: a watchdog on the app's health, with restarts and alerts. */
export class Operations extends pulumi.ComponentResource {
    public readonly monitor: Monitor;
    public readonly complete: pulumi.Output<boolean>;

    constructor(name: string, args: OperationsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:operations:Operations", name, {}, opts);
        const { deployment } = args;
        this.monitor = new Monitor(
            `${name}-monitor`,
            {
                targets: [
                    {
                        name: "app",
                        url: pulumi.all([deployment.healthUrl, deployment.url]).apply(([health, url]) => health || url),
                        deploymentId: deployment.deploymentId,
                        sandboxId: deployment.sandboxId,
                    },
                ],
                intervalSeconds: args.intervalSeconds,
                thresholds: args.thresholds as pulumi.Input<Thresholds> | undefined,
                alerts: args.alerts,
                restartOnFailure: args.restartOnFailure,
                backend: args.backend,
            },
            { parent: this },
        );
        this.complete = pulumi.all([this.monitor.status, this.monitor.alerts]).apply(([status, alerts]) => operationsComplete(status, alerts));
        this.registerOutputs({ complete: this.complete });
    }
}
