/**
 * What a resource's inputs are, written once per resource as a zod schema
 * (`providers/<service>/schema.ts`): each input's type, bounds, default, a
 * one-line description, whether a change replaces the resource, whether it
 * is a secret. From that one schema come the TypeScript types, `check`,
 * `diff`'s replace list, the stack config's sections, the README's
 * configuration table and the policy pack's default bounds.
 *
 * The builders here give every rule the message users read: the property,
 * what is allowed, and what was given.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CredentialName, missingCredentials } from "./credentials";

export { z };

/** The value the engine sends for an input that is not known until apply. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** What a field says of itself, beyond its type. */
export interface Meta {
    /** One line: what the input does. */
    description?: string;
    /** What values are allowed, in words (the builders set it). */
    allowed?: string;
    /** A change replaces the resource; `"cloud"`: only on the cloud backend. */
    replaces?: boolean | "cloud";
    /** Its value is a secret in state. */
    secret?: boolean;
    /** The default in words, where it is not a value (it is computed). */
    defaultIs?: string;
}

/** Declares what a field is: its description, whether a change replaces, whether it is secret. */
export function field<T extends z.ZodType>(schema: T, meta: Meta): T {
    return schema.meta({ ...metaOf(schema), ...meta }) as T;
}

/** A field's meta, merged from the wrappers (default, optional) inward; the outermost wins. */
export function metaOf(schema: z.ZodType): Meta {
    const inner = innerOf(schema);
    return { ...(inner ? metaOf(inner) : {}), ...((z.globalRegistry.get(schema) as Meta | undefined) ?? {}) };
}

/** The schema a default, optional or nullable wraps. */
function innerOf(schema: z.ZodType): z.ZodType | undefined {
    return (schema._zod.def as { innerType?: z.ZodType }).innerType;
}

/** The schema under its wrappers: the string, number, enum or object itself. */
export function baseOf(schema: z.ZodType): z.ZodType {
    const inner = innerOf(schema);
    return inner ? baseOf(inner) : schema;
}

/** A field's default, when it has one. */
export function defaultOf(schema: z.ZodType): unknown {
    for (let s: z.ZodType | undefined = schema; s; s = innerOf(s)) {
        const def = s._zod.def as { type: string; defaultValue?: unknown };
        if (def.type === "default") return typeof def.defaultValue === "function" ? (def.defaultValue as () => unknown)() : def.defaultValue;
    }
    return undefined;
}

/** The lowest and highest values a number field allows. */
export function boundsOf(schema: z.ZodType): { min: number; max: number } {
    const base = baseOf(schema) as z.ZodNumber;
    return { min: base.minValue ?? -Infinity, max: base.maxValue ?? Infinity };
}

/** The values an enum field (or a list of them) allows. */
export function optionsOf(schema: z.ZodType): string[] {
    const base = baseOf(schema);
    const element = (base._zod.def as { element?: z.ZodType }).element;
    return ((element ? baseOf(element) : base) as z.ZodEnum).options.map(String);
}

const got = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value));

/** A non-empty string, at most `maxLength` long, matching `pattern` (described by `allowed`). */
export function text(opts: { pattern?: string; allowed?: string; maxLength?: number } = {}) {
    let schema = z.string({ error: "must be a non-empty string" }).min(1, { error: "must be a non-empty string", abort: true });
    if (opts.maxLength !== undefined) {
        const max = opts.maxLength;
        schema = schema.max(max, { error: (iss) => `must be at most ${max} characters (got ${(iss.input as string).length})` });
    }
    if (opts.pattern !== undefined) {
        const allowed = opts.allowed ?? `of the form /${opts.pattern}/`;
        schema = schema.regex(new RegExp(opts.pattern), { error: (iss) => `must be ${allowed} (got ${got(iss.input)})` });
    }
    return schema.meta({ allowed: opts.allowed ?? (opts.maxLength ? `text, at most ${opts.maxLength} characters` : "text") });
}

/** A whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number, unit = "") {
    const message = (iss: { input: unknown }) => `must be a whole number from ${min} to ${max}${unit} (got ${got(iss.input)})`;
    return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message }).meta({ allowed: `${min} to ${max}${unit}` });
}

/** A number (fractions allowed) from `min` to `max`. */
export function amount(min: number, max: number, unit: string) {
    const message = (iss: { input: unknown }) => `must be a number of ${unit} from ${min} to ${max} (got ${got(iss.input)})`;
    return z.number({ error: message }).min(min, { error: message }).max(max, { error: message }).meta({ allowed: `${min} to ${max} ${unit}` });
}

/** A US dollar amount from `min` to `max`, in whole cents. */
export function dollars(min: number, max: number) {
    const message = (iss: { input: unknown }) => `must be an amount in US dollars from ${min} to ${max}, in whole cents (got ${got(iss.input)})`;
    return z
        .number({ error: message })
        .min(min, { error: message })
        .max(max, { error: message })
        .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, { error: message })
        .meta({ allowed: `${min} to ${max} USD` });
}

export function flag() {
    return z.boolean({ error: (iss) => `must be true or false (got ${got(iss.input)})` }).meta({ allowed: "true or false" });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    return z.enum(values, { error: (iss) => `must be one of ${values.join(", ")} (got ${got(iss.input)})` }).meta({ allowed: values.join(", ") });
}

/** An object with these properties and no others: a misspelt property is an error, not a default. */
export function strictObject<S extends z.ZodRawShape>(shape: S) {
    const keys = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (iss) =>
            iss.code === "unrecognized_keys"
                ? `has no property ${JSON.stringify(iss.keys[0])} (allowed: ${keys})`
                : `must be an object with ${keys} (got ${got(iss.input)})`,
    });
}

/** A list whose every item is an `item`; a failing item's path names its index. */
export function list<T extends z.ZodType>(item: T, opts: { minItems?: number } = {}) {
    const schema = z.array(item, { error: (iss) => `must be a list (got ${got(iss.input)})` });
    const min = opts.minItems;
    return min === undefined ? schema : schema.min(min, { error: `must have at least ${min} item${min === 1 ? "" : "s"}` });
}

/** A map of the user's own names to strings (environment variables, metadata). */
export function names(opts: { keyPattern?: string; keyAllowed?: string } = {}) {
    const allowed = opts.keyAllowed ?? `of the form /${opts.keyPattern}/`;
    const key = opts.keyPattern === undefined ? z.string() : z.string().regex(new RegExp(opts.keyPattern), { error: (iss) => `key ${got(iss.input)} must be ${allowed}` });
    return z
        .record(key, z.string({ error: (iss) => `must be a string (got ${got(iss.input)})` }), {
            error: (iss) => (iss.code === "invalid_key" ? iss.issues?.[0]?.message : `must be a map of names to strings (got ${got(iss.input)})`),
        })
        .meta({ allowed: opts.keyPattern === undefined ? "names to strings" : `names (${allowed}) to strings` });
}

/** Environment variables: the names a shell accepts. */
export const envNames = () =>
    names({ keyPattern: "^[A-Za-z_][A-Za-z0-9_]*$", keyAllowed: "a letter or underscore followed by letters, digits or underscores" });

/** The `backend` input: one of the kinds this resource has; `cloud` needs these credentials in stack config. */
export function backendRef<const K extends readonly [string, ...string[]]>(kinds: K, needs: readonly CredentialName[]) {
    return z
        .object(
            {
                kind: z.enum(kinds, { error: (iss) => `must be one of ${kinds.join(", ")} for this resource (got ${got(iss.input)})` }),
                dataDir: z.string().optional(),
            },
            { error: "must be { kind, dataDir? }" },
        )
        .superRefine((value, ctx) => {
            const missing = missingCredentials(value.kind, needs);
            if (missing) ctx.addIssue({ code: "custom", message: missing });
        })
        .meta({ replaces: true, description: "Which backend runs it: local, or cloud with credentials in stack config." });
}

/** The optional `billing` input: the credit account a resource draws on, and its hourly rate. */
export function billingRef() {
    return z
        .object({ account: text({ maxLength: 200 }), creditsPerHour: amount(0, 1000, "credits") }, { error: "must be { account, creditsPerHour }" })
        .optional()
        .meta({ description: "The credit account its running time is charged to; without credits it does not start." });
}

/** The lineage tags every provider stores with what it creates (set by the resource class). */
export const tags = () =>
    z
        .object({ "flow-nexus:project": z.string(), "flow-nexus:stack": z.string(), "flow-nexus:urn": z.string() })
        .meta({ description: "The lineage tags: project, stack and URN." });

/** A schema path as users write it: `migrations[0].id`, `envs.PATH`. */
export function pathOf(path: readonly PropertyKey[]): string {
    return path
        .map((key, i) => (typeof key === "number" ? `[${key}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key)) ? `${i ? "." : ""}${String(key)}` : `[${JSON.stringify(key)}]`))
        .join("");
}

/** Where an issue is, as users name it: a bad key of a map is named by the map. */
export function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
    return issue.code === "invalid_key" ? issue.path.slice(0, -1) : issue.path;
}

/** The value at `path` inside `value`. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<unknown>((v, key) => (typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined), value);
}

/** Whether a value, or anything inside it, is not known until apply. */
export function hasUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    return typeof value === "object" && value !== null && Object.values(value).some(hasUnknown);
}

type Shape = z.ZodRawShape;

/**
 * `check` from a resource's schema: each input parsed by its field (its
 * default applied), every failing path named. An input not known until
 * apply (preview) is left as it is, and judged at apply; keys the schema
 * does not declare pass through.
 */
export function checkInputs<S extends Shape>(
    schema: z.ZodObject<S>,
    news: object,
): { inputs: z.output<z.ZodObject<S>>; failures: pulumi.dynamic.CheckFailure[] } {
    const inputs: Record<string, unknown> = { ...news };
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const [key, fieldSchema] of Object.entries(schema.shape) as Array<[string, z.ZodType]>) {
        const value = (news as Record<string, unknown>)[key];
        if (value === UNKNOWN) continue;
        const parsed = fieldSchema.safeParse(value);
        if (parsed.success) {
            if (parsed.data !== undefined) inputs[key] = parsed.data;
            continue;
        }
        for (const issue of parsed.error.issues) {
            if (hasUnknown(valueAt(value, issue.path))) continue;
            failures.push({ property: key, reason: `${pathOf([key, ...issuePath(issue)])} ${issue.message}` });
        }
    }
    return { inputs: inputs as z.output<z.ZodObject<S>>, failures };
}

/** The inputs a diff compares: every field of the schema. */
export function inputNames(schema: z.ZodObject<Shape>): string[] {
    return Object.keys(schema.shape);
}

/**
 * Every input as an undefined property, for a resource's props: an input the
 * program leaves out still becomes an output (with the default `check` gave it).
 */
export function seeded(schema: z.ZodObject<Shape>): Record<string, undefined> {
    return Object.fromEntries(inputNames(schema).map((key) => [key, undefined]));
}

/** The inputs whose change replaces the resource (on the cloud backend, also those marked `"cloud"`). */
export function replacedBy(schema: z.ZodObject<Shape>, cloud = false): string[] {
    return Object.entries(schema.shape)
        .filter(([, s]) => {
            const replaces = metaOf(s as z.ZodType).replaces;
            return replaces === true || (cloud && replaces === "cloud");
        })
        .map(([key]) => key);
}

/** The inputs marked secret. */
export function secretInputs(schema: z.ZodObject<Shape>): string[] {
    return Object.entries(schema.shape)
        .filter(([, s]) => metaOf(s as z.ZodType).secret === true)
        .map(([key]) => key);
}

/** An input that may be an Output, all the way down. */
export type DeepInput<T> = [T] extends [readonly (infer U)[]]
    ? pulumi.Input<DeepInput<U>[]>
    : [T] extends [object]
      ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
      : pulumi.Input<T>;

/** A resource's arguments from its schema: every input optional where it has a default. */
export type ArgsOf<S extends z.ZodType, Omitted extends string = never, P = Omit<z.input<S>, Omitted>> = {
    readonly [K in keyof P]: DeepInput<NonNullable<P[K]>>;
};
