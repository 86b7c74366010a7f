/**
 * From service checks and the recorded phase gates to one verdict and one
 * exit code: what `status` prints and returns. Pure, so the unit tests pin
 * the rules.
 */
import type { Health, ServiceCheck } from "./backends/types";
import { ExitCode } from "./errors";
import { PHASES, recordedGate, StackOutputs } from "./outputs";

/** A phase: its gate as the last `up` recorded it, and its services' health now. */
export interface PhaseStatus {
    phase: number;
    name: string;
    /** `phaseNComplete` from the outputs; null when the stack does not record it. */
    recorded: boolean | null;
    /** The worst health among the phase's services now. */
    live: Health;
    /** Both: the gate passed at `up`, and every service of the phase is up now. */
    healthy: boolean;
}

/** What `status` reports. */
export interface StatusReport {
    stack: string;
    healthy: boolean;
    services: ServiceCheck[];
    phases: PhaseStatus[];
    workflowComplete: boolean | null;
}

const SEVERITY: Record<Health, number> = { up: 0, unknown: 1, unhealthy: 2, down: 3 };

/** The worse of the healths; `unknown` for none at all. */
export function worst(healths: readonly Health[]): Health {
    if (healths.length === 0) return "unknown";
    return healths.reduce((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a));
}

/** The report for a stack: every phase, and whether all is healthy. */
export function summarize(stack: string, outputs: StackOutputs, services: ServiceCheck[]): StatusReport {
    const phases = PHASES.map(({ phase, name }) => {
        const recorded = recordedGate(outputs, phase) ?? null;
        const live = worst(services.filter((s) => s.phase === phase).map((s) => s.health));
        return { phase, name, recorded, live, healthy: recorded === true && live === "up" };
    });
    const healthy = phases.every((p) => p.healthy) && services.every((s) => s.health === "up");
    return { stack, healthy, services, phases, workflowComplete: outputs.workflowComplete ?? null };
}

/** 0 when healthy, 4 when a service is down, 1 for anything else unhealthy. */
export function exitCodeOf(report: StatusReport): ExitCode {
    if (report.services.some((s) => s.health === "down")) return ExitCode.ServiceDown;
    return report.healthy ? ExitCode.Ok : ExitCode.Failed;
}
