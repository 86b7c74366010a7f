export { StorageBucket, StorageBucketArgs } from "./resource";
export { BucketClient, StorageError } from "./client";
