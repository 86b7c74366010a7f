import * as pulumi from "@pulumi/pulumi";
import { AutoRefill } from "../../../../providers/billing";
import { Deployment } from "../../../../providers/deployment";
import { Sandbox } from "../../../../providers/sandbox";
import { StorageBucket } from "../../../../providers/storage";

const config = new pulumi.Config();
const backend = { kind: "local" as const, dataDir: config.require("dataDir") };

switch (config.require("case")) {
    case "public-bucket":
        new StorageBucket("assets", { name: "public-assets", public: true, fileSizeLimit: 1024, backend });
        break;
    case "plaintext-key":
        new Sandbox("sandbox", { template: "node", timeoutSeconds: 600, envs: { STRIPE_SECRET_KEY: "sk_test_plaintext" }, backend });
        break;
    case "secret-key":
        new Sandbox("sandbox", { template: "node", timeoutSeconds: 600, envs: { STRIPE_SECRET_KEY: pulumi.secret("sk_test_secret") }, backend });
        break;
    case "no-health-check": {
        const sandbox = new Sandbox("sandbox", { template: "node", timeoutSeconds: 600, ports: 1, backend });
        new Deployment("app", { sandboxId: sandbox.sandboxId, source: { template: "node-http" }, port: 8080, backend });
        break;
    }
    case "no-monthly-limit":
        new AutoRefill("refill", { account: "acct", thresholdCredits: 20, backend });
        break;
    default:
        throw new pulumi.RunError(`unknown case ${config.require("case")}`);
}
