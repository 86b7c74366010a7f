/**
 * Diffing for the providers' `diff`: which inputs changed, and which of
 * those force a replacement (the replace list comes from the schema).
 */
import type * as pulumi from "@pulumi/pulumi";

/** Structural equality of JSON values; key order does not matter. */
export function sameValue(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : typeof v === "object" && v !== null && Object.keys(v).length === 0);

/**
 * The input properties whose values differ between the old state and the
 * new inputs. An input the old state does not have at all (a version before
 * it existed) equals an empty list or map: adding `links: []` to a sandbox
 * made before links existed is no change, and never a replacement.
 */
export function changedInputs(olds: Record<string, unknown>, news: Record<string, unknown>, inputs: readonly string[]): string[] {
    return inputs.filter((key) => !sameValue(olds[key], news[key]) && !(olds[key] === undefined && isEmpty(news[key])));
}

/**
 * Compares the given input properties of the old state and the new inputs.
 * A change to any of `replaceOn` replaces the resource; others update it in
 * place. `deleteBeforeReplace` is for resources whose identity (a name) the
 * replacement would otherwise collide with.
 */
export function diffInputs(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    inputs: readonly string[],
    replaceOn: readonly string[],
    deleteBeforeReplace = false,
): pulumi.dynamic.DiffResult {
    const changed = changedInputs(olds, news, inputs);
    const replaces = changed.filter((key) => replaceOn.includes(key));
    return {
        changes: changed.length > 0,
        replaces,
        stables: inputs.filter((key) => !changed.includes(key)),
        deleteBeforeReplace: replaces.length > 0 && deleteBeforeReplace,
    };
}
