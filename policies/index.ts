import { PolicyPack } from "@pulumi/policy";
import { autoRefillLimits } from "./billing";
import { deploymentHealthCheck } from "./deployment";
import { gates } from "./gates";
import { lineageTags } from "./lineage";
import { monitorAlertChannel } from "./monitor";
import { sandboxTemplateAllowed, sandboxTimeoutBounds } from "./sandbox";
import { credentialsAreSecrets } from "./secrets";
import { trackSecrets } from "./secretness";
import { bucketSizeLimit, noPublicBucket } from "./storage";

// Before the pack starts serving: credentials-are-secrets needs to see secretness.
trackSecrets();

new PolicyPack("flow-nexus", {
    policies: [
        sandboxTimeoutBounds,
        sandboxTemplateAllowed,
        noPublicBucket,
        bucketSizeLimit,
        credentialsAreSecrets,
        deploymentHealthCheck,
        monitorAlertChannel,
        autoRefillLimits,
        lineageTags,
        ...gates,
    ],
});
