import { ResourceValidationPolicy } from "@pulumi/policy";
import { flowNexusType, label } from "./types";

/** A monitor nobody hears is a log. */
export const monitorAlertChannel: ResourceValidationPolicy = {
    name: "monitor-alert-channel",
    description: "Every monitor has at least one alert channel.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: (args, reportViolation) => {
        if (args.type !== flowNexusType("Monitor")) return;
        const alerts = args.props.alerts;
        if (!Array.isArray(alerts) || alerts.length === 0) {
            reportViolation(
                `${label(args.type, args.name)} has no alert channel: add one to alerts ` +
                    '(flow-nexus:monitoring.alerts), e.g. { type: "webhook", url: "https://..." }.',
            );
        }
    },
};
