/** The monitor provider's public module: the resource and its types. */
export { Monitor, MonitorArgs, Target, Thresholds, AlertChannel } from "./resource";
export type { CheckRecord, AlertRecord, AlertPayload, Delivery } from "./local";
