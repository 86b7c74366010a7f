/**
 * What other providers may do with sandboxes (a deployment lives in one):
 * the few operations this provider offers, so that no one reaches into its
 * backend files.
 */
export { readSandbox, sandboxDir } from "./record";
export { runInSandbox } from "./processes";
export type { SandboxInfo } from "./record";
export type { BackgroundProcess, RunOptions } from "./processes";
