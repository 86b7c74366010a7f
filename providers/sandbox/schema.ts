/**
 * What a sandbox is: every input with its type, bounds, default and
 * replace rule, written once. Its types, `check`, `diff`, the stack's
 * `flow-nexus:sandbox` section, the README's table and the policy pack's
 * default bounds all come from here.
 */
import type { Backend } from "../runtime/crud";
import { linkList } from "../runtime/links";
import { backendRef, billingRef, envNames, field, names, oneOf, optionsOf, tags, text, wholeNumber, z } from "../runtime/schema";

export const schema = z.object({
    template: field(oneOf(["node", "python", "react", "nextjs", "vanilla", "base", "claude-code"]), {
        description: "The template it starts from (E2B's names).",
        replaces: true,
    }),
    timeoutSeconds: field(wholeNumber(60, 24 * 60 * 60, " seconds").default(3600), {
        description:
            "Seconds from creation (or from the last timeout change) to its end; a change restarts the clock in place. " +
            "E2B allows at most 1 h (3600) on Hobby and 24 h on Pro: a longer one is refused at create with the plan's limit.",
    }),
    envs: field(envNames().default({}), { description: "Environment variables of every process in it.", replaces: true }),
    metadata: field(names().default({}), { description: "Free-form labels.", replaces: true }),
    onTimeout: field(oneOf(["kill", "pause"]).default("kill"), {
        description: "At its end time, kill it or pause it (fixed at creation on E2B).",
        replaces: "cloud",
    }),
    startupScript: field(text({ maxLength: 64 * 1024 }).optional(), {
        description: "A shell script run once at creation, in its work dir with envs; creation fails if it fails.",
        replaces: true,
    }),
    ports: field(wholeNumber(0, 16).default(0), { description: "How many loopback ports to allocate for its servers.", replaces: true }),
    links: field(linkList(), {
        description: "The platform resources code run in it may use, as a Deployment's links give them: in the environment of every process in it.",
        replaces: true,
    }),
    billing: billingRef(),
    backend: backendRef(["local", "cloud"], ["e2bApiKey", "databaseUrl"]),
    tags: tags(),
});

/** The resolved inputs of a sandbox, defaults applied. */
export type Inputs = z.output<typeof schema>;
export type Template = Inputs["template"];
export type OnTimeout = Inputs["onTimeout"];

/** The templates a sandbox can start from. */
export const TEMPLATES = optionsOf(schema.shape.template) as Template[];

/** How a sandbox's processes are isolated from the host: locally bubblewrap or none, on E2B a Firecracker microVM. */
export type Isolation = "bubblewrap" | "process" | "microvm";

/** What the provider stores: the inputs and what the backend reports. */
export interface Outputs extends Inputs {
    sandboxId: string;
    /** `stopped`: its processes died (a reboot); the next `up` starts it again. */
    status: "running" | "paused" | "stopped";
    /**
     * Where its servers are reached: locally 127.0.0.1 (with an allocated
     * port); on E2B, which routes `<port>-<sandboxId>.<domain>` to each port,
     * the host of its first port.
     */
    host: string;
    allocatedPorts: number[];
    /** The URL of each allocated port, in order: `http://127.0.0.1:<port>` locally, `https://<port>-<id>.<domain>` on E2B. */
    urls: string[];
    /** ISO timestamps. */
    startedAt: string;
    endAt: string;
    isolation: Isolation;
    /** Absolute path of the directory commands run in. */
    workDir: string;
}

/** What a backend implements for sandboxes: `update` applies a new timeout or onTimeout only. */
export type SandboxBackend = Backend<Inputs, Outputs>;
