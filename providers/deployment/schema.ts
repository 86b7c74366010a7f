/** What a deployment is: every input with its type, bounds, default and replace rule, written once. */
import type { Backend } from "../runtime/crud";
import { FETCH_BLOCKED_PORTS } from "../runtime/http";
import { LINKED_ENV, linkList } from "../runtime/links";
import { backendRef, billingRef, envNames, field, oneOf, optionsOf, tags, text, wholeNumber, z } from "../runtime/schema";

/** The apps shipped in the repo's `templates/` folder. */
const template = oneOf(["node-http", "static-site", "realtime-notes"]);

const source = z
    .object(
        {
            template: template.optional(),
            directory: text({ pattern: "^/", allowed: "an absolute path" }).optional(),
        },
        { error: (iss) => `must be { template } or { directory } (got ${JSON.stringify(iss.input)})` },
    )
    .strict()
    .refine((s) => (s.template === undefined) !== (s.directory === undefined), {
        error: (iss) =>
            `must be exactly one of { template: ${optionsOf(template).map((t) => JSON.stringify(t)).join(" | ")} } or { directory: "<absolute path>" } (got ${JSON.stringify(iss.input)})`,
    });

const command = text({ maxLength: 4096 });


export const schema = z.object({
    sandboxId: field(text({ maxLength: 128 }), { description: "The sandbox the app runs in; another sandbox is another deployment.", replaces: true }),
    source: field(source, { description: "A template of this repo or a directory on this machine; a change (or an edit of its files) redeploys in place." }),
    sourceHash: field(z.string().optional(), { description: "The sha256 of the source's files, computed by check, so a source edit is a diff." }),
    billing: billingRef(),
    env: field(
        envNames()
            .refine((env) => !Object.prototype.hasOwnProperty.call(env, "PORT"), { error: "must not set PORT: the port input sets it" })
            .refine((env) => !LINKED_ENV.some((k) => Object.prototype.hasOwnProperty.call(env, k)), {
                error: `must not set ${LINKED_ENV.join(", ")}: links set them`,
            })
            .default({}),
        { description: "Environment variables of the app (and of its install command), over the sandbox's envs." },
    ),
    installCommand: field(command.optional(), { description: "Run in the app's directory before it starts; default npm install when package.json has dependencies." }),
    startCommand: field(command.optional(), { description: "Starts the app; default node server.js when the source has a server.js." }),
    port: field(
        wholeNumber(1024, 65535).refine((port) => !(FETCH_BLOCKED_PORTS as readonly number[]).includes(port), {
            error: (iss) => `must not be ${iss.input}, one of the ports fetch refuses (${FETCH_BLOCKED_PORTS.join(", ")}): no health check could reach it`,
        }),
        { description: "The loopback port the app listens on, passed to it as PORT." },
    ),
    healthPath: field(
        z
            .string({ error: (iss) => `must start with a slash, e.g. /health (got ${JSON.stringify(iss.input)})` })
            .regex(/^\/\S*$/, { error: (iss) => `must start with a slash, e.g. /health (got ${JSON.stringify(iss.input)})` })
            .meta({ allowed: "a path such as /health" })
            .optional(),
        { description: "The path that answers 200 when the app is healthy; without one it is ready once its port listens." },
    ),
    links: field(
        linkList(),
        {
            description:
                "The platform resources the app may use: it gets FLOW_NEXUS_RESOURCES (their names and attributes); for a linked schema, DATABASE_URL of a role of its own; for a linked bucket, subscription or user, SUPABASE_URL and SUPABASE_ANON_KEY (SUPABASE_SERVICE_ROLE_KEY when a link asks for it).",
        },
    ),
    healthTimeoutSeconds: field(wholeNumber(5, 600, " seconds").default(60), { description: "How long the app has to become ready after it starts." }),
    backend: backendRef(["local", "cloud"], ["e2bApiKey", "databaseUrl"]),
    tags: tags(),
});

export type Template = z.output<typeof template>;
export const TEMPLATES = optionsOf(template) as Template[];

/** The resolved inputs of a deployment, defaults applied (the commands by check, from the source's files). */
export type Inputs = Omit<z.output<typeof schema>, "source" | "startCommand" | "sourceHash"> & {
    source: Source;
    startCommand: string;
    sourceHash: string;
};

/** Where the code comes from: a template of this repo, or a directory on this machine. */
export type Source = { template: Template; directory?: undefined } | { directory: string; template?: undefined };

/** What the provider stores: the inputs and what the backend reports. */
export interface Outputs extends Inputs {
    deploymentId: string;
    url: string;
    healthUrl: string;
    /** `unhealthy` only comes from `read`: the app died or stopped answering (drift). */
    status: "healthy" | "unhealthy";
    /** Absolute path of the app's files in the sandbox. */
    appDir: string;
    /** Absolute path of the app's log (install and run output). */
    logFile: string;
}

/** What a backend implements for deployments. */
export type DeploymentBackend = Backend<Inputs, Outputs>;
