import { ResourceValidationPolicy } from "@pulumi/policy";
import { flowNexusType, label } from "./types";

/** Without a health check, "deployed" only means "started". */
export const deploymentHealthCheck: ResourceValidationPolicy = {
    name: "deployment-health-check",
    description: "Every deployment declares a health check (healthPath), which up waits for and the monitor probes.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: (args, reportViolation) => {
        if (args.type !== flowNexusType("Deployment")) return;
        const healthPath = args.props.healthPath;
        if (typeof healthPath !== "string" || healthPath === "") {
            reportViolation(
                `${label(args.type, args.name)} declares no health check: set healthPath (e.g. "/health", ` +
                    "flow-nexus:app.healthPath) to a path that answers 200 when the app is healthy.",
            );
        }
    },
};
