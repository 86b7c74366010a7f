/**
 * Which of a resource's properties are secrets, as the engine sent them.
 *
 * The engine sends a policy pack each property with its secretness (a secret
 * is wrapped in Pulumi's secret signature), but @pulumi/policy unwraps every
 * secret before `validateResource` and `validateStack` run, so a policy cannot
 * tell `pulumi.secret("sk_...")` from `"sk_..."` through its API. This module
 * wraps the SDK's deserializer once, per policy-pack process, to remember the
 * secret paths of each property bag it builds, and looks them up through the
 * SDK's documented proxy-target key. The end-to-end tests run this on the
 * real engine, so an SDK change that breaks it fails there.
 */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const PROXY_TARGET = "__getSpecialProxyTarget";

const secretPathsOf = new WeakMap<object, Set<string>>();
let installed = false;

/** Collects the paths (`a.b[0].c`) of every secret in a raw property bag. */
export function findSecretPaths(raw: unknown, prefix = "", into = new Set<string>()): Set<string> {
    if (Array.isArray(raw)) {
        raw.forEach((item, i) => findSecretPaths(item, `${prefix}[${i}]`, into));
    } else if (raw && typeof raw === "object") {
        const obj = raw as Record<string, unknown>;
        if (obj[SECRET_SIG_KEY] === SECRET_SIG) {
            into.add(prefix);
            return into;
        }
        for (const [key, value] of Object.entries(obj)) findSecretPaths(value, prefix ? `${prefix}.${key}` : key, into);
    }
    return into;
}

/** Wraps @pulumi/policy's deserializer so that secret paths are remembered. Idempotent. */
export function trackSecrets(): void {
    if (installed) return;
    installed = true;
    const deserialize = require("@pulumi/policy/deserialize") as {
        deserializeProperties: (struct: { toJavaScript(): unknown }, proxySecrets: boolean) => object;
    };
    const original = deserialize.deserializeProperties;
    deserialize.deserializeProperties = (struct, proxySecrets) => {
        const props = original(struct, proxySecrets);
        secretPathsOf.set(props, findSecretPaths(struct.toJavaScript()));
        return props;
    };
}

/**
 * The secret paths of a policy's `args.props`, or undefined when they cannot
 * be known (the bag did not come through the tracked deserializer).
 */
export function secretPaths(props: object): Set<string> | undefined {
    const target = (props as Record<string, object>)[PROXY_TARGET] ?? props;
    return secretPathsOf.get(target);
}

/** Whether `path`, or an object that holds it, is secret. */
export function isSecretPath(paths: Set<string>, path: string): boolean {
    for (const secret of paths) {
        if (path === secret || path.startsWith(`${secret}.`) || path.startsWith(`${secret}[`)) return true;
    }
    return false;
}
