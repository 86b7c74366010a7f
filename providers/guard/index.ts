export { DataGuard, DataGuardArgs, Holder } from "./resource";
