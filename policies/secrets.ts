import { ResourceValidationPolicy, Secret } from "@pulumi/policy";
import { isSecretPath, secretPaths } from "./secretness";
import { label } from "./types";

/** Property names that carry credentials. */
const CREDENTIAL = /(password|passwd|passphrase|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential|service[-_]?role)/i;

/** Properties that never hold credentials: the provider's code and our lineage tags. */
const SKIP = new Set(["__provider", "tags"]);

/** The paths of every non-empty string whose property name names a credential. */
export function credentialPaths(value: unknown, path = "", key = ""): string[] {
    if (typeof value === "string") return value !== "" && CREDENTIAL.test(key) ? [path] : [];
    if (Array.isArray(value)) return value.flatMap((item, i) => credentialPaths(item, `${path}[${i}]`, key));
    if (value && typeof value === "object") {
        return Object.entries(value as Record<string, unknown>)
            .filter(([k]) => !(path === "" && SKIP.has(k)))
            .flatMap(([k, v]) => credentialPaths(v, path ? `${path}.${k}` : k, k));
    }
    return [];
}

function plaintextCredentials(props: Record<string, unknown>): string[] | undefined {
    const secrets = secretPaths(props);
    if (!secrets) return undefined;
    return credentialPaths(props).filter((path) => !isSecretPath(secrets, path));
}

/** Sets the value at `a.b.c` (object keys only: credentials live in maps). */
function setPath(target: Record<string, any>, path: string, value: unknown): void {
    const keys = path.split(".");
    let node = target;
    for (const key of keys.slice(0, -1)) node = node[key];
    node[keys[keys.length - 1]] = value;
}

/** A credential in plain text is written unencrypted into the state file. */
export const credentialsAreSecrets: ResourceValidationPolicy = {
    name: "credentials-are-secrets",
    description:
        "Inputs that carry passwords, keys or tokens are Pulumi secrets, so they are encrypted in state; remediation makes them secrets.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: (args, reportViolation) => {
        const plaintext = plaintextCredentials(args.props);
        if (plaintext === undefined) {
            reportViolation(
                `cannot tell which properties of ${label(args.type, args.name)} are secrets: ` +
                    "this version of @pulumi/policy hides secretness from policies (see policies/secretness.ts).",
            );
            return;
        }
        for (const path of plaintext) {
            reportViolation(
                `${label(args.type, args.name)}: ${path} holds a credential in plain text. Pass it as a secret: ` +
                    "`pulumi config set --secret <key> <value>` and config.requireSecret(), or pulumi.secret(value).",
            );
        }
    },
    remediateResource: (args) => {
        const plaintext = plaintextCredentials(args.props);
        if (!plaintext || plaintext.length === 0) return undefined;
        for (const path of plaintext) {
            const value = path.split(".").reduce<any>((node, key) => node?.[key], args.props);
            setPath(args.props, path, new Secret(value));
        }
        return args.props;
    },
};
