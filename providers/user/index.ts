export { PlatformUser, PlatformUserArgs, Profile } from "./resource";
export { verifyPassword } from "./password";
