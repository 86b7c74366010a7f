/** The sandbox provider's public module: the resource and its schema. Operations others use are in ./api. */
export { Sandbox, SandboxArgs } from "./resource";
export { schema, TEMPLATES } from "./schema";
export type { SandboxInfo } from "./record";
export type { RunOptions, BackgroundProcess } from "./processes";
