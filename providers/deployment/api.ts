/**
 * What other providers may do with deployments (a monitor's watchdogs
 * restart them): the few operations this provider offers, so that no one
 * reaches into its backend files.
 */
export { deploymentDir, readDeployment } from "./record";
export type { DeploymentRecord } from "./record";
export { restartDeployment } from "./local";
export { RECORDS_DIR, recordPath, START_COMMAND, startEnv } from "./e2b";
export type { CloudDeploymentRecord } from "./e2b";
