export { Sandbox, SandboxArgs, TEMPLATES, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, MAX_PORTS } from "./resource";
export { readSandbox, SandboxInfo } from "./record";
export { runInSandbox, RunOptions, BackgroundProcess } from "./processes";
