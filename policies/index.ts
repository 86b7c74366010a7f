import { PolicyPack } from "@pulumi/policy";
import { bucketSizeLimit, noPublicBucket } from "./storage";

new PolicyPack("flow-nexus", {
    policies: [noPublicBucket, bucketSizeLimit],
});
