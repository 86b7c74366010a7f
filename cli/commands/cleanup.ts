/**
 * `flow-nexus cleanup`: removes the sandboxes, processes and buckets tagged
 * for this project that their stack no longer has: what a killed `pulumi up`
 * or a deleted stack left behind. The stack's state (`pulumi stack export`)
 * is the truth; the data folders under `.flow-nexus/stacks/` are scanned.
 */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { isAlive, processRef } from "../../providers/runtime/process";
import { credential } from "../../providers/runtime/credentials";
import { useStackCredentials } from "../backends/cloud";
import { removeCloudObject, scanCloud } from "../cleanup/cloud";
import { leaseHolders, releaseLeases, removeDataDir, removeObject, scanDataDir } from "../cleanup/local";
import { classify, ObjectKind, orphanLeases, Verdict } from "../cleanup/orphans";
import type { Command, Context } from "../context";
import { projectName, StackLock } from "../engine";
import { CliError, ExitCode } from "../errors";
import { formatTime, renderTable } from "../output";
import { dataDirOf } from "../outputs";

/** Removal order: what needs the database (apps' locks, monitors' rows) before the database itself. */
const ORDER: ObjectKind[] = ["app", "monitor", "sandbox", "bucket", "database"];

export interface StackReport {
    stack: string;
    /** False: the backend has no such stack any more (everything in its folder is an orphan). */
    exists: boolean;
    locked?: string;
    objects: Array<{ kind: ObjectKind; id: string; status: string; action: string; reason: string; pids: number[]; location: string }>;
    leasesReleased: number;
    failed: boolean;
}

/** Why a lock stops cleanup, and what to do: a lock whose process died here needs `pulumi cancel`. */
export function lockMessage(stack: string, locks: StackLock[]): string {
    const lock = locks[0];
    const who = `pid ${lock.pid} on ${lock.hostname}${lock.timestamp ? ` since ${formatTime(lock.timestamp)}` : ""}`;
    // Only a lock taken on this machine can be checked for a live process.
    if (lock.hostname !== os.hostname()) {
        return `stack ${stack} is locked by an update on another machine (${who}): wait for it, or run pulumi cancel --stack ${stack} if it was killed`;
    }
    const ref = lock.pid > 0 ? processRef(lock.pid) : undefined;
    return ref && isAlive(ref, "pulumi")
        ? `an update of stack ${stack} is running (${who}): wait for it to finish`
        : `stack ${stack} is locked by an update that is no longer running (${who}): run flow-nexus recover --stack ${stack} (it cancels, clears the pending creates, cleans up and converges)`;
}

/** The stacks to clean: --stack's, or (--all) one per data folder, named as the program names them. */
async function stackNames(ctx: Context): Promise<string[]> {
    if (!ctx.flag("all")) return [ctx.stack];
    const root = path.dirname(ctx.dataDir);
    return (await fs.readdir(root, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

export async function cleanStack(ctx: Context, stack: string, project: string): Promise<StackReport> {
    const dryRun = ctx.flag("dry-run");
    // The program names the folder by the stack's own name (pulumi.getStack()), never org/project/.
    const dataDir = dataDirOf(ctx.projectDir, stack.split("/").at(-1)!);
    const state = await ctx.engine.state(stack);
    if (!state && !(await fs.stat(dataDir).catch(() => undefined))) {
        throw new CliError(`stack ${stack} not found in ${ctx.engine.backendUrl()}, and it has no data folder (${dataDir})`, ExitCode.NoStack);
    }
    const report: StackReport = { stack, exists: state !== undefined, objects: [], leasesReleased: 0, failed: false };
    const locks = state ? await ctx.engine.locks(stack) : [];
    if (locks.length > 0) {
        report.locked = lockMessage(stack, locks);
        if (!dryRun) {
            report.failed = true;
            return report;
        }
        ctx.out.warn(report.locked);
    }

    ctx.out.progress(`scanning ${dataDir}…`);
    const found = await scanDataDir(dataDir, stack, project);
    // A cloud stack's objects are at its vendors, found with the credentials of its config.
    if (state) {
        useStackCredentials(await ctx.engine.config(stack));
        if (credential("e2bApiKey") || credential("databaseUrl")) {
            ctx.out.progress(`scanning E2B and Supabase for what stack ${stack} made…`);
            found.push(...(await scanCloud(stack.split("/").at(-1)!)));
        }
    }
    const verdicts = classify(found, state);
    const shown = verdicts.filter((v) => v.status !== "managed").sort((a, b) => ORDER.indexOf(a.object.kind) - ORDER.indexOf(b.object.kind));
    const row = (v: Verdict, action: string) => {
        const { kind, id, pids, location } = v.object;
        report.objects.push({ kind, id, status: v.status, action, reason: v.reason, pids, location });
    };
    for (const v of shown) {
        if (v.status !== "orphan") row(v, "kept (pending)");
        else if (dryRun) row(v, "would remove");
        else {
            ctx.out.progress(`removing ${v.object.kind} ${v.object.id} of stack ${stack}…`);
            try {
                const opts = { force: ctx.flag("force") };
                const removal = v.object.cloud ? await removeCloudObject(v.object, opts) : await removeObject(dataDir, v.object, opts);
                row(v, removal.removed ? "removed" : removal.reason);
                if (!removal.removed) report.failed = true;
            } catch (err) {
                row(v, `FAILED: ${(err as Error).message.split("\n")[0]}`);
                report.failed = true;
            }
        }
    }
    if (!dryRun && !report.failed) {
        const leases = orphanLeases(await leaseHolders(dataDir), state);
        await releaseLeases(dataDir, leases);
        report.leasesReleased = leases.length;
        // A gone stack's folder goes too, once nothing in it had to be kept.
        if (!state) await removeDataDir(dataDir);
    }
    return report;
}

export const cleanup: Command = {
    name: "cleanup",
    summary: "remove sandboxes, processes and buckets tagged for this project that their stack no longer has",
    options: {
        "dry-run": { type: "boolean", description: "list the orphans, change nothing" },
        all: { type: "boolean", description: "every stack's data folder under .flow-nexus/stacks/, not only --stack's" },
        force: { type: "boolean", description: "also remove orphaned buckets that still hold objects" },
    },
    details: [
        "An object (sandbox, app, bucket, monitor) is the stack's when the state has a resource with its flow-nexus:urn",
        "tag and its id. Anything else is an orphan: an interrupted create or replace left it, or its stack is gone",
        "(then its database and data folder go too). A pending operation's object is kept: after a killed `pulumi up`,",
        "run flow-nexus recover instead (it cancels and clears pending creates first). A locked stack is not touched.",
        "",
        "On a cloud stack it also finds, with the credentials of the stack's config, the E2B sandboxes whose metadata",
        "names the stack and the Supabase buckets the project database records for it.",
        "--all treats every data folder whose stack is not in this backend as a deleted stack: run it against the",
        "backend that owns them. Exit code: 0 all orphans removed (or listed), 1 one was kept or failed, 3 no such stack.",
    ].join("\n"),

    async run(ctx) {
        const project = projectName(ctx.projectDir);
        const dryRun = ctx.flag("dry-run");
        const stacks = await stackNames(ctx);
        const reports: StackReport[] = [];
        for (const stack of stacks) reports.push(await cleanStack(ctx, stack, project));

        ctx.out.data({ dryRun, stacks: reports });
        const rows = reports.flatMap((r) => r.objects.map((o) => [r.stack, o.kind, o.id, o.pids.join(",") || "-", o.action, o.reason]));
        const lines: string[] = [];
        if (rows.length > 0) lines.push(renderTable(["STACK", "KIND", "ID", "PIDS", "ACTION", "WHY"], rows));
        for (const r of reports) {
            if (r.locked && !dryRun) lines.push(`stack ${r.stack} skipped: ${r.locked}`);
            if (r.leasesReleased > 0) lines.push(`stack ${r.stack}: released ${r.leasesReleased} database lease${r.leasesReleased === 1 ? "" : "s"} no resource holds`);
        }
        const orphans = reports.flatMap((r) => r.objects).filter((o) => o.status === "orphan").length;
        lines.push(dryRun ? `${orphans} orphan${orphans === 1 ? "" : "s"} found (dry run: nothing removed)` : `${orphans} orphan${orphans === 1 ? "" : "s"} handled`);
        ctx.out.text(lines.join("\n"));
        return reports.some((r) => r.failed) ? ExitCode.Failed : ExitCode.Ok;
    },
};
