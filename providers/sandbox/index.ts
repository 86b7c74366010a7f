export { Sandbox, SandboxArgs, TEMPLATES, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, MAX_PORTS } from "./resource";
export { runInSandbox, readSandbox, RunOptions, BackgroundProcess, SandboxInfo } from "./local";
