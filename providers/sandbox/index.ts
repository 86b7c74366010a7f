export { Sandbox, SandboxArgs } from "./resource";
export { schema, TEMPLATES } from "./schema";
export { readSandbox, SandboxInfo } from "./record";
export { runInSandbox, RunOptions, BackgroundProcess } from "./processes";
