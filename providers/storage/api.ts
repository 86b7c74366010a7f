/** What other parts of the platform (the gateway, the CLI, tests) use of storage: a local bucket's objects. */
export { BucketClient, StorageError } from "./client";
export type { ListOptions, ObjectInfo, StorageCode } from "./client";
