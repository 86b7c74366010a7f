/** Pure selections the commands make: audit rows by resource and time, review stacks by age. */
import type { AuditRecord } from "./backends/types";
import type { StackSummary } from "./engine";

/** The resource's name in its URN: what follows the last `::`. */
export function resourceName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * Audit rows about `resource` (a URN substring, a resource name or a type
 * such as `Sandbox`, case-insensitive) at or after `since`, oldest first.
 */
export function filterAudit(rows: readonly AuditRecord[], opts: { resource?: string; since?: Date } = {}): AuditRecord[] {
    const wanted = opts.resource?.toLowerCase();
    return rows.filter((row) => {
        if (opts.since && new Date(row.at).getTime() < opts.since.getTime()) return false;
        if (wanted === undefined) return true;
        return row.urn.toLowerCase().includes(wanted) || row.type.toLowerCase() === wanted;
    });
}

/** A stack `stacks prune` destroys, and how old its last update is. */
export interface PruneCandidate {
    name: string;
    lastUpdate: string;
    ageMs: number;
}

/**
 * The stacks named `prefix…` whose last update is older than `olderThanMs`;
 * the others with the prefix are kept, with the reason. A stack with no
 * recorded update is kept: its age is unknown, and it may be a job's new stack.
 */
export function selectPrunable(
    stacks: readonly StackSummary[],
    opts: { prefix: string; olderThanMs: number; now: Date },
): { prune: PruneCandidate[]; keep: Array<{ name: string; reason: string }> } {
    const prune: PruneCandidate[] = [];
    const keep: Array<{ name: string; reason: string }> = [];
    for (const stack of stacks) {
        // Fully-qualified names (org/project/stack) are matched on the stack's own name.
        const name = stack.name.split("/").at(-1)!;
        if (!name.startsWith(opts.prefix)) continue;
        const at = stack.lastUpdate ? Date.parse(stack.lastUpdate) : NaN;
        if (Number.isNaN(at)) {
            keep.push({ name: stack.name, reason: "no last update recorded" });
            continue;
        }
        const ageMs = opts.now.getTime() - at;
        if (ageMs > opts.olderThanMs) prune.push({ name: stack.name, lastUpdate: stack.lastUpdate!, ageMs });
        else keep.push({ name: stack.name, reason: "updated recently" });
    }
    return { prune: prune.sort((a, b) => b.ageMs - a.ageMs), keep };
}
