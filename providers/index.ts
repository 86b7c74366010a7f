/**
 * Every flow-nexus resource, for programs that compose their own platform
 * (`require("flow-nexus/resources")`); FlowNexusPlatform composes them all.
 */
export { AutoRefill } from "./billing/resource";
export { DataGuard } from "./guard/resource";
export { DatabaseSchema } from "./schema/resource";
export { Deployment, withServiceRole } from "./deployment/resource";
export { Monitor } from "./monitor/resource";
export { PlatformUser } from "./user/resource";
export { RealtimeSubscription } from "./realtime/resource";
export { Sandbox } from "./sandbox/resource";
export { StorageBucket } from "./storage/resource";
export type { BackendRef } from "./runtime/lineage";
