/**
 * `flow-nexus recover`: the one command after a killed `pulumi up` (a
 * Ctrl-C twice, an OOM kill, a reboot): it takes the stale lock away, drops
 * the creates the state did not see finish, removes what they left behind,
 * and brings the stack to its desired state again.
 */
import * as os from "os";
import { isAlive, processRef } from "../../providers/runtime/process";
import type { Command, Context } from "../context";
import { projectName } from "../engine";
import { CliError, ExitCode } from "../errors";
import { cleanStack } from "./cleanup";

interface Step {
    step: string;
    done: string;
}

/** Runs one pulumi command of the recovery; a failure names the step and quotes the engine's last lines. */
async function pulumi(ctx: Context, step: string, args: string[]): Promise<void> {
    ctx.out.progress(`${step}: pulumi ${args.join(" ")}…`);
    const result = await ctx.engine.run(args);
    if (result.code !== 0) {
        const tail = (result.stderr + result.stdout).trim().split("\n").slice(-15).join("\n");
        throw new CliError(`${step} failed (pulumi ${args.join(" ")} exited with ${result.code}):\n${tail}`);
    }
}

export const recover: Command = {
    name: "recover",
    summary: "after a killed pulumi up: cancel its lock, clear its pending creates, clean up what it left, and converge",
    options: {},
    details: [
        "The steps, each only when needed: pulumi cancel (a lock whose update is no longer running), pulumi refresh",
        "--clear-pending-creates (operations the state did not see finish), flow-nexus cleanup (what they left behind),",
        "then pulumi up. A stack whose update is still running is left alone. Exit code: 0 recovered, 1 a step failed.",
    ].join("\n"),

    async run(ctx) {
        const stack = ctx.stack;
        const steps: Step[] = [];
        const locks = await ctx.engine.locks(stack);
        const live = locks.find((l) => {
            const ref = l.hostname === os.hostname() && l.pid > 0 ? processRef(l.pid) : undefined;
            return ref !== undefined && isAlive(ref, "pulumi");
        });
        if (live) throw new CliError(`an update of stack ${stack} is running (pid ${live.pid}): wait for it to finish, or stop it first`);
        if (locks.length > 0) {
            await pulumi(ctx, "cancel", ["cancel", "--yes", "--stack", stack]);
            steps.push({ step: "cancel", done: `removed ${locks.length} stale lock${locks.length === 1 ? "" : "s"}` });
        }
        const state = await ctx.engine.state(stack);
        if (!state) throw ctx.engine.stackNotFound(stack);
        if (state.pending.length > 0) {
            await pulumi(ctx, "refresh", ["refresh", "--clear-pending-creates", "--yes", "--skip-preview", "--stack", stack]);
            steps.push({ step: "refresh", done: `cleared ${state.pending.length} pending operation${state.pending.length === 1 ? "" : "s"}` });
        }
        const report = await cleanStack(ctx, stack, projectName(ctx.projectDir));
        const removed = report.objects.filter((o) => o.action === "removed").length;
        if (report.failed) {
            const failed = report.objects.filter((o) => o.action !== "removed").map((o) => `${o.kind} ${o.id}: ${o.action}`);
            throw new CliError(`cleanup of stack ${stack} left ${failed.join("; ") || "something"} (see: flow-nexus cleanup --dry-run)`);
        }
        steps.push({ step: "cleanup", done: `removed ${removed} orphan${removed === 1 ? "" : "s"}` });
        await pulumi(ctx, "up", ["up", "--yes", "--skip-preview", "--stack", stack]);
        steps.push({ step: "up", done: "the stack is as its program says" });

        ctx.out.data({ stack, recovered: true, steps });
        ctx.out.text([...steps.map((s) => `${s.step}: ${s.done}`), `stack ${stack} recovered`].join("\n"));
        return ExitCode.Ok;
    },
};
