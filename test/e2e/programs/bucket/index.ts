import * as pulumi from "@pulumi/pulumi";
import { StorageBucket } from "../../../../providers/storage";

const config = new pulumi.Config();
const bucket = new StorageBucket("bucket", {
    name: config.require("name"),
    public: config.getBoolean("public"),
    fileSizeLimit: config.getNumber("fileSizeLimit"),
    forceDestroy: config.getBoolean("forceDestroy"),
    backend: { kind: "local", dataDir: config.require("dataDir") },
});

export const bucketId = bucket.bucketId;
export const url = bucket.url;
export const fileSizeLimit = bucket.fileSizeLimit;
