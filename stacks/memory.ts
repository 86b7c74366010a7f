import * as pulumi from "@pulumi/pulumi";

/** The stack outputs that stand in for the platform process's memory keys. */
export interface MemoryOutputs {
    userId: pulumi.Input<string>;
    userProfile: pulumi.Input<object>;
    config: pulumi.Input<object>;
    sandboxId: pulumi.Input<string>;
    subscriptionId: pulumi.Input<string>;
    schema: pulumi.Input<object>;
    deploymentId: pulumi.Input<string>;
    app: pulumi.Input<object>;
    monitoring: pulumi.Input<object>;
    balance: pulumi.Input<object>;
    phase1Complete: pulumi.Input<boolean>;
    phase2Complete: pulumi.Input<boolean>;
    phase3Complete: pulumi.Input<boolean>;
    phase4Complete: pulumi.Input<boolean>;
    phase5Complete: pulumi.Input<boolean>;
    workflowComplete: pulumi.Input<boolean>;
}

/** The outputs keyed by the exact memory-key strings of the process. */
export function memoryKeys(o: MemoryOutputs): pulumi.Output<Record<string, unknown>> {
    return pulumi.output({
        "flow-nexus/user-id": o.userId,
        "flow-nexus/user-profile": o.userProfile,
        "flow-nexus/config": o.config,
        "flow-nexus/sandbox-id": o.sandboxId,
        "flow-nexus/subscription-id": o.subscriptionId,
        "flow-nexus/init-script": o.schema,
        "flow-nexus/schema": o.schema,
        "flow-nexus/deployment-id": o.deploymentId,
        "flow-nexus/app": o.app,
        "flow-nexus/monitoring": o.monitoring,
        "flow-nexus/monitoring-config": o.monitoring,
        "flow-nexus/phase1-complete": o.phase1Complete,
        "flow-nexus/phase2-complete": o.phase2Complete,
        "flow-nexus/phase3-complete": o.phase3Complete,
        "flow-nexus/balance": o.balance,
        "flow-nexus/phase4-complete": o.phase4Complete,
        "flow-nexus/phase5-complete": o.phase5Complete,
        "flow-nexus/workflow-complete": o.workflowComplete,
    }) as unknown as pulumi.Output<Record<string, unknown>>;
}
