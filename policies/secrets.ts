import { ResourceValidationPolicy, Secret, UnknownValueError } from "@pulumi/policy";
import { isSecretPath, secretPaths } from "./secretness";
import { label } from "./types";

/** The values the policy SDK gives for inputs not known during preview (`@pulumi/policy/proxy`). */
const proxy = require("@pulumi/policy/proxy") as Record<string, unknown> & { getSpecialProxyTarget: string };
const UNKNOWNS = new Set(Object.keys(proxy).filter((k) => /^unknown\w+Value$/.test(k)).map((k) => proxy[k]));

/** Property names that carry credentials. */
const CREDENTIAL = /(password|passwd|passphrase|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential|service[-_]?role)/i;

/** Properties that never hold credentials: the provider's code and our lineage tags. */
const SKIP = new Set(["__provider", "tags"]);

/** Where the props' credentials are: known ones by path, and the credential-named paths preview cannot know yet. */
interface Found {
    known: string[];
    unknown: string[][];
}

/**
 * The paths of every non-empty string whose property name names a
 * credential. It reads the plain values behind the SDK's proxy, which throws
 * on the first unknown input: a preview judges every input it knows, and
 * only an unknown credential stays unjudged.
 */
export function credentialPaths(value: unknown, path: string[] = [], found: Found = { known: [], unknown: [] }): Found {
    const key = path.at(-1) ?? "";
    if (UNKNOWNS.has(value)) {
        if (CREDENTIAL.test(key)) found.unknown.push(path);
    } else if (typeof value === "string") {
        if (value !== "" && CREDENTIAL.test(key)) found.known.push(dotted(path));
    } else if (Array.isArray(value)) {
        value.forEach((item, i) => credentialPaths(item, [...path.slice(0, -1), `${key}[${i}]`], found));
    } else if (value && typeof value === "object") {
        const target = (value as Record<string, unknown>)[proxy.getSpecialProxyTarget] ?? value;
        for (const [k, v] of Object.entries(target as Record<string, unknown>)) {
            if (!(path.length === 0 && SKIP.has(k))) credentialPaths(v, [...path, k], found);
        }
    }
    return found;
}

const dotted = (path: string[]) => path.join(".");

function plaintextCredentials(props: Record<string, unknown>): Found | undefined {
    const secrets = secretPaths(props);
    if (!secrets) return undefined;
    const found = credentialPaths(props);
    return { known: found.known.filter((path) => !isSecretPath(secrets, path)), unknown: found.unknown };
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
        for (const path of plaintext.known) {
            reportViolation(
                `${label(args.type, args.name)}: ${path} holds a credential in plain text. Pass it as a secret: ` +
                    "`pulumi config set --secret <key> <value>` and config.requireSecret(), or pulumi.secret(value).",
            );
        }
        // What preview cannot know is said to be unknown (the SDK reports it as such), after the rest was judged.
        const [unknown] = plaintext.unknown;
        if (unknown) throw new UnknownValueError(proxy.unknownStringValue, unknown);
    },
    remediateResource: (args) => {
        const plaintext = plaintextCredentials(args.props)?.known;
        if (!plaintext || plaintext.length === 0) return undefined;
        for (const path of plaintext) {
            const value = path.split(".").reduce<any>((node, key) => node?.[key], args.props);
            setPath(args.props, path, new Secret(value));
        }
        return args.props;
    },
};
