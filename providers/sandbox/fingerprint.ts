/** What identifies the sandbox a create asks for; shared by the local and E2B backends. */
import { createHash } from "crypto";
import type { Inputs } from "./schema";

/**
 * The sha256 of the inputs that replace a sandbox when they change. A live
 * sandbox of the same resource with another fingerprint is the one a
 * replacement is about to delete, never adopted.
 */
export function fingerprint(inputs: Pick<Inputs, "template" | "envs" | "metadata" | "startupScript" | "ports" | "onTimeout"> & { links?: Inputs["links"] }): string {
    const { template, envs, metadata, startupScript, ports, onTimeout, links } = inputs;
    // Every input that replaces it on some backend (onTimeout does on E2B): a replacement must never adopt the sandbox it replaces.
    // Links only when there are some, so that sandboxes made before links keep their fingerprint.
    const parts = [template, envs, metadata, startupScript ?? "", ports, onTimeout, ...(links?.length ? [links] : [])];
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}
