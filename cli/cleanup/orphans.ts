/**
 * Which of the things found in a stack's data folder the stack still has:
 * an object is the stack's when its state holds a resource with the
 * object's URN (its `flow-nexus:urn` tag) and id. Anything else tagged for
 * the project is an orphan: left by an interrupted run (the resource was
 * never recorded, or a replace recorded another id) or by a deleted stack.
 * Pure, so the rules are unit-tested.
 */
import type { StackState } from "../engine";

/** What cleanup finds and can remove. */
export type ObjectKind = "sandbox" | "app" | "bucket" | "monitor" | "database";

/** Something found in a stack's data folder. */
export interface FoundObject {
    kind: ObjectKind;
    id: string;
    /** The stack whose data folder holds it. */
    stack: string;
    /** Its lineage tag `flow-nexus:urn`; absent when it has none (a half-made one). */
    urn?: string;
    /** Where it is, for people. */
    location: string;
    /** An app's sandbox (an app goes with an orphaned sandbox). */
    sandboxId?: string;
    /** The live processes it holds. */
    pids: number[];
    /** A bucket's objects: a bucket that holds some is kept without --force. */
    objects?: number;
    /** At a vendor (E2B, Supabase), not in the data folder. */
    cloud?: true;
}

export type VerdictStatus = "managed" | "orphan" | "pending";

export interface Verdict {
    object: FoundObject;
    status: VerdictStatus;
    reason: string;
}

/** The state type of the resource that makes each kind of object. */
export const RESOURCE_TYPE: Record<Exclude<ObjectKind, "database">, string> = {
    sandbox: "pulumi-nodejs:dynamic/flownexus:Sandbox",
    app: "pulumi-nodejs:dynamic/flownexus:Deployment",
    bucket: "pulumi-nodejs:dynamic/flownexus:StorageBucket",
    monitor: "pulumi-nodejs:dynamic/flownexus:Monitor",
};

function verdict(object: FoundObject, state: StackState | undefined): Verdict {
    if (!state) return { object, status: "orphan", reason: `stack ${object.stack} no longer exists` };
    // The database serves every resource of a live stack; `destroy` removes it with the last one.
    if (object.kind === "database") return { object, status: "managed", reason: "the stack's database" };
    if (object.urn === undefined) return { object, status: "orphan", reason: "it has no lineage tags: a create or delete was interrupted halfway" };
    const type = RESOURCE_TYPE[object.kind as Exclude<ObjectKind, "database">];
    const same = state.resources.filter((r) => r.urn === object.urn && r.type === type);
    if (same.some((r) => r.id === object.id)) return { object, status: "managed", reason: "in the stack's state" };
    // A replace creates the new object under the same URN: while its create is pending, the new one is not an orphan yet.
    if (state.pending.some((p) => p.urn === object.urn)) {
        return {
            object,
            status: "pending",
            reason: "an update is creating or changing it (or was killed doing so): wait for it, or (killed) run flow-nexus recover",
        };
    }
    if (same.length > 0) {
        return { object, status: "orphan", reason: `the stack's resource is now ${same.map((r) => r.id).join(", ")}: left by an interrupted replace or create` };
    }
    return { object, status: "orphan", reason: "not in the stack's state: left by an interrupted run, or its resource was removed" };
}

/**
 * A verdict for each object; `state` undefined means the stack is gone from
 * the backend. The apps of an orphaned sandbox are left out: they go with it.
 */
export function classify(objects: readonly FoundObject[], state: StackState | undefined): Verdict[] {
    const verdicts = objects.map((o) => verdict(o, state));
    const goneSandboxes = new Set(verdicts.filter((v) => v.object.kind === "sandbox" && v.status === "orphan").map((v) => v.object.id));
    return verdicts.filter((v) => !(v.object.kind === "app" && v.object.sandboxId && goneSandboxes.has(v.object.sandboxId)));
}

/**
 * The database leases no resource holds. Each resource holds one on the
 * stack's database from its create to its delete, named `<urn>#<id>` (a
 * create in progress holds `<urn>#creating-…`; older stacks name the URN
 * alone). A lease is held while the state has that resource, or an
 * operation on its URN is pending; any other was taken by a create that
 * was interrupted or whose object cleanup removed. Released, the database
 * stops with the stack's last resource, as `destroy` expects.
 */
export function orphanLeases(holders: readonly string[], state: StackState | undefined): string[] {
    if (!state) return [...holders];
    const pending = new Set(state.pending.map((p) => p.urn));
    const urns = new Set(state.resources.map((r) => r.urn));
    const recorded = new Set(state.resources.map((r) => `${r.urn}#${r.id}`));
    return holders.filter((holder) => {
        const hash = holder.lastIndexOf("#");
        const urn = hash < 0 ? holder : holder.slice(0, hash);
        if (pending.has(urn)) return false;
        if (hash < 0) return !urns.has(urn);
        return !recorded.has(holder);
    });
}
