/**
 * Secrets inside the stack's object sections (`pulumi config set --secret
 * --path flow-nexus:app.env.API_TOKEN …`), kept secret through the program.
 *
 * The engine tells a program only which top-level keys hold a secret
 * somewhere, and `config.getObject` gives their values in plain text, so a
 * nested secret would reach state unencrypted. The stack's config file says
 * which leaves are `secure:`; each setting that holds one is passed on as a
 * Pulumi secret. Where the file cannot tell (config that comes from
 * elsewhere), every setting of a section that holds a secret is.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/** A section's config paths (`envs.API_TOKEN`) that hold secrets; `["*"]` when the file cannot tell which. */
export type SecretPaths = Record<string, string[]>;

/** The `secure:` leaves under `value`, as dotted paths (`envs.API_TOKEN`, `alerts[0].url`). */
export function secureLeaves(value: unknown, prefix = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((item, i) => secureLeaves(item, `${prefix}[${i}]`));
    if (!value || typeof value !== "object") return [];
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === "secure" && typeof entries[0][1] === "string") return [prefix];
    return entries.flatMap(([key, v]) => secureLeaves(v, prefix ? `${prefix}.${key}` : key));
}

/** The stack's config file (Pulumi.<stack>.yaml, in the project's stackConfigDir), parsed, or undefined. */
function stackConfigFile(projectDir: string, stack: string): Record<string, unknown> | undefined {
    try {
        const project = yaml.load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { stackConfigDir?: string };
        const dir = path.resolve(projectDir, project?.stackConfigDir ?? ".");
        const file = yaml.load(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
        return file?.config;
    } catch {
        return undefined;
    }
}

/**
 * For each `<namespace>:<section>` key that the engine marks secret, the
 * paths in it that hold secrets.
 */
export function secretPaths(opts: {
    namespace: string;
    sections: readonly string[];
    isSecret: (key: string) => boolean;
    projectDir: string;
    stack: string;
}): SecretPaths {
    const file = stackConfigFile(opts.projectDir, opts.stack);
    const found: SecretPaths = {};
    for (const section of opts.sections) {
        const key = `${opts.namespace}:${section}`;
        if (!opts.isSecret(key)) continue;
        const leaves = secureLeaves(file?.[key]);
        // A whole section set with --secret is one `secure:` leaf at its root.
        found[section] = leaves.length === 0 || leaves.includes("") ? ["*"] : leaves;
    }
    return found;
}

/** Every string leaf of `value`, for scrubbing messages. */
export function leafValues(value: unknown): string[] {
    if (typeof value === "string") return value === "" ? [] : [value];
    if (typeof value === "number" || typeof value === "boolean") return [String(value)];
    if (Array.isArray(value)) return value.flatMap(leafValues);
    if (value && typeof value === "object") return Object.values(value).flatMap(leafValues);
    return [];
}

/** The value at a dotted path (`envs.API_TOKEN`, `alerts[0].url`), or undefined. */
export function valueAt(value: unknown, dotted: string): unknown {
    return dotted
        .split(/\.|\[(\d+)\]/)
        .filter((k) => k !== undefined && k !== "")
        .reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined), value);
}
