/** Reading processes' memory from /proc, for the benchmark. */
import * as fs from "fs";

interface Proc {
    pid: number;
    ppid: number;
    rssKb: number;
    cmdline: string;
}

function read(pid: number): Proc | undefined {
    try {
        const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
        const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
        return { pid, ppid: field("PPid"), rssKb: field("VmRSS"), cmdline };
    } catch {
        return undefined;
    }
}

export function allProcesses(): Proc[] {
    return fs
        .readdirSync("/proc")
        .filter((name) => /^\d+$/.test(name))
        .map((name) => read(Number(name)))
        .filter((p): p is Proc => p !== undefined && p.rssKb > 0);
}

/** `root` and every process below it. */
export function tree(root: number, procs = allProcesses()): Proc[] {
    const below = new Set([root]);
    let grew = true;
    while (grew) {
        grew = false;
        for (const p of procs) {
            if (!below.has(p.pid) && below.has(p.ppid)) {
                below.add(p.pid);
                grew = true;
            }
        }
    }
    return procs.filter((p) => below.has(p.pid));
}

/** What the platform runs on its own, as opposed to the engine: its servers, supervisors and apps. */
export function isPlatformProcess(p: Proc): boolean {
    return /postgres|supervisor\.[jt]s|watchdog\.[jt]s|gateway\/main\.[jt]s|bwrap|server\.js/.test(p.cmdline);
}

export function megabytes(kb: number): number {
    return Math.round(kb / 102.4) / 10;
}

/**
 * Samples the engine's processes (the CLI and everything it starts, less
 * the platform's own) every 100 ms; `stop()` returns the peak, in KB.
 */
export function samplePeak(pid: number): { stop(): number } {
    let peak = 0;
    const sample = () => {
        const rss = tree(pid)
            .filter((p) => !isPlatformProcess(p))
            .reduce((sum, p) => sum + p.rssKb, 0);
        peak = Math.max(peak, rss);
    };
    const timer = setInterval(sample, 100);
    sample();
    return {
        stop() {
            clearInterval(timer);
            return peak;
        },
    };
}

/**
 * The platform at rest under `dataDir`: its Postgres (the postmaster and
 * its backends), its gateway, sandbox supervisors and watchdogs; the apps excluded.
 */
export function platformAtRestKb(dataDir: string): number {
    const procs = allProcesses();
    const postmasters = procs.filter((p) => p.cmdline.includes("postgres -D") && p.cmdline.includes(dataDir));
    const postgres = postmasters.flatMap((p) => tree(p.pid, procs));
    const helpers = procs.filter((p) => /supervisor\.[jt]s|watchdog\.[jt]s|gateway\/main\.[jt]s/.test(p.cmdline) && p.cmdline.includes(dataDir));
    return [...postgres, ...helpers].reduce((sum, p) => sum + p.rssKb, 0);
}
