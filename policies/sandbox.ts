import { ResourceValidationPolicy } from "@pulumi/policy";
import { schema } from "../providers/sandbox/schema";
import { boundsOf, optionsOf } from "../providers/runtime/schema";
import { flowNexusType, label } from "./types";

const SANDBOX = flowNexusType("Sandbox");
/** By default the policy allows what the resource allows; a pack's config narrows it. */
const TIMEOUT = boundsOf(schema.shape.timeoutSeconds);

interface TimeoutConfig {
    minSeconds: number;
    maxSeconds: number;
}

/** Clamps a timeout into the configured bounds (the remediation). */
export function clampTimeout(seconds: number, { minSeconds, maxSeconds }: TimeoutConfig): number {
    return Math.min(maxSeconds, Math.max(minSeconds, seconds));
}

/** A sandbox bills while it runs: its timeout is bounded. */
export const sandboxTimeoutBounds: ResourceValidationPolicy = {
    name: "sandbox-timeout-bounds",
    description: "Sandboxes time out within minSeconds and maxSeconds; remediation clamps the timeout into those bounds.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minSeconds: { type: "integer", minimum: 1, default: TIMEOUT.min },
            maxSeconds: { type: "integer", minimum: 1, default: TIMEOUT.max },
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== SANDBOX) return;
        const bounds = args.getConfig<TimeoutConfig>();
        const seconds = args.props.timeoutSeconds as number;
        if (seconds < bounds.minSeconds || seconds > bounds.maxSeconds) {
            reportViolation(
                `${label(args.type, args.name)} times out after ${seconds} s: set timeoutSeconds ` +
                    `between ${bounds.minSeconds} and ${bounds.maxSeconds} (flow-nexus:sandbox.timeoutSeconds).`,
            );
        }
    },
    remediateResource: (args) => {
        if (args.type !== SANDBOX) return undefined;
        const seconds = args.props.timeoutSeconds as number;
        const clamped = clampTimeout(seconds, args.getConfig<TimeoutConfig>());
        if (clamped === seconds) return undefined;
        args.props.timeoutSeconds = clamped;
        return args.props;
    },
};

/** Templates outside the allow-list are unreviewed images. */
export const sandboxTemplateAllowed: ResourceValidationPolicy = {
    name: "sandbox-template-allowed",
    description: "Sandboxes use a template from allowedTemplates.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedTemplates: {
                type: "array",
                items: { type: "string" },
                default: optionsOf(schema.shape.template),
            },
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== SANDBOX) return;
        const { allowedTemplates } = args.getConfig<{ allowedTemplates: string[] }>();
        if (!allowedTemplates.includes(args.props.template)) {
            reportViolation(
                `${label(args.type, args.name)} uses template ${args.props.template}: use one of ${allowedTemplates.join(", ")}.`,
            );
        }
    },
};
