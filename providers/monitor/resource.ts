import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { AuditedProvider } from "../runtime/crud";
import { diffInputs } from "../runtime/diff";
import { BackendRef } from "../runtime/lineage";
import { FlowNexusResource } from "../runtime/resource";
import { ArgsOf, checkInputs, inputNames, replacedBy, seeded, UNKNOWN } from "../runtime/schema";
import { AlertChannel, Inputs, MonitorBackend, Outputs, schema, Target, Thresholds } from "./schema";

export { schema, AlertChannel, ALERT_TYPES, Inputs, MonitorBackend, Outputs, Target, Thresholds } from "./schema";

// Loaded on first use, so a program (or a preview) never loads a backend.
const backends: Partial<Record<BackendRef["kind"], () => Promise<MonitorBackend>>> = {
    local: async () => (await import("./local")).backend,
    cloud: async () => (await import("./e2b")).backend,
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** JSON with sorted keys, so equal configurations hash equal. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (isObject(value)) {
        const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

/** The hash of what the watchdog acts on; unknown while any of it is. */
export function configHash(inputs: Pick<Inputs, "targets" | "intervalSeconds" | "thresholds" | "alerts" | "restartOnFailure">): string {
    const { targets, intervalSeconds, thresholds, alerts, restartOnFailure } = inputs;
    const text = canonical({ targets, intervalSeconds, thresholds, alerts, restartOnFailure });
    return text.includes(UNKNOWN) ? UNKNOWN : createHash("sha256").update(text).digest("hex");
}

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "Monitor",
            inputs: inputNames(schema),
            backends,
            id: (outs) => outs.monitorId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const checked = checkInputs(schema, news);
        const inputs = checked.inputs as Inputs;
        const failures = checked.failures;
        inputs.configHash = configHash(inputs);
        // On E2B the watchdog runs inside a sandbox: some target must say which.
        const targets = Array.isArray(inputs.targets) ? inputs.targets : [];
        if (inputs.backend?.kind === "cloud" && !failures.some((f) => f.property === "targets") && !targets.some((t) => isObject(t) && t.sandboxId !== undefined)) {
            failures.push({ property: "targets", reason: "targets must include one with a sandboxId on the cloud backend: the watchdog runs in that E2B sandbox" });
        }
        return { inputs, failures };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // The watchdog re-reads its configuration: everything changes in place.
        return diffInputs(olds as never, news as never, inputNames(schema), replacedBy(schema));
    }
}

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link Monitor}: its inputs (see ./schema), the lineage tags set for it; the config hash is computed. */
export type MonitorArgs = ArgsOf<typeof schema, "tags" | "configHash">;

/** Health monitoring with alerts and automatic restarts (phase 4). */
export class Monitor extends FlowNexusResource {
    public readonly targets!: pulumi.Output<Target[]>;
    public readonly intervalSeconds!: pulumi.Output<number>;
    public readonly thresholds!: pulumi.Output<Thresholds>;
    public readonly alerts!: pulumi.Output<AlertChannel[]>;
    public readonly restartOnFailure!: pulumi.Output<boolean>;
    public readonly monitorId!: pulumi.Output<string>;
    public readonly status!: pulumi.Output<Outputs["status"]>;
    public readonly watchdogPid!: pulumi.Output<number>;

    constructor(name: string, args: MonitorArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            ...seeded(schema),
            ...args,
            // Computed by check from the configuration.
            configHash: undefined,
            monitorId: undefined,
            status: undefined,
            watchdogPid: undefined,
        };
        super("Monitor", name, props, opts);
    }
}
