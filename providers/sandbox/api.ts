/**
 * What other providers may do with sandboxes (a deployment lives in one):
 * the few operations this provider offers, so that no one reaches into its
 * backend files.
 */
export { readSandbox, runInSandbox, sandboxDir } from "./local";
export type { BackgroundProcess, RunOptions, SandboxInfo } from "./local";
