import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { StorageBucket } from "../providers/storage";

const dataDir = path.resolve(__dirname, "..", ".flow-nexus", "stacks", pulumi.getStack());
const config = new pulumi.Config("flow-nexus");

const bucket = new StorageBucket("storage", {
    name: config.get("bucketName") ?? "platform-assets",
    fileSizeLimit: config.getNumber("bucketFileSizeLimit"),
    backend: { kind: "local", dataDir },
});

export const bucketId = bucket.bucketId;
