export { Monitor, MonitorArgs, Target, Thresholds, AlertChannel } from "./resource";
export { readChecks, readAlerts, CheckRecord, AlertRecord, AlertPayload, Delivery } from "./local";
