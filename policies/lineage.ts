import { ResourceValidationPolicy } from "@pulumi/policy";
import { FLOW_NEXUS_PREFIX, label } from "./types";

const TAGS = ["flow-nexus:project", "flow-nexus:stack", "flow-nexus:urn"];

/** Without its lineage tags, what an interrupted run created cannot be found again. */
export const lineageTags: ResourceValidationPolicy = {
    name: "lineage-tags",
    description: "Every flow-nexus resource carries the lineage tags (project, stack, URN) its provider records.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: (args, reportViolation) => {
        if (!args.type.startsWith(FLOW_NEXUS_PREFIX)) return;
        const tags = (args.props.tags ?? {}) as Record<string, unknown>;
        const missing = TAGS.filter((tag) => typeof tags[tag] !== "string" || tags[tag] === "");
        if (missing.length > 0) {
            reportViolation(
                `${label(args.type, args.name)} lacks the lineage tags ${missing.join(", ")}: ` +
                    "create it through its flow-nexus resource class, which adds them.",
            );
        } else if (!String(tags["flow-nexus:urn"]).endsWith(`::${args.name}`)) {
            reportViolation(`${label(args.type, args.name)} carries the URN tag of another resource: ${tags["flow-nexus:urn"]}.`);
        }
    },
};
