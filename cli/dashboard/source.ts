/**
 * What the dashboard reads of a stack, through the same backends the other
 * commands use (../backends): the status report, the app's health history,
 * billing, the audit log, the logs and the realtime changes. The outputs are
 * read once, and again after the audit log grows (an `up` or a `destroy`
 * changed the stack), so a redeployed app is followed without a restart.
 */
import type { AuditRecord, ChangeEvent, LogSource, PlatformBackend } from "../backends";
import { backendFor } from "../backends";
import type { ChangeTail } from "../backends/types";
import type { Context } from "../context";
import { filterAudit } from "../filters";
import { summarize, StatusReport } from "../health";
import { accountOf, requireOutput, StackOutputs } from "../outputs";
import { AppReport, appReport, billingReport, BillingReport } from "./reports";

/** The audit log's filters, as the API takes them. */
export interface AuditQuery {
    resource?: string;
    action?: string;
    since?: Date;
    limit?: number;
}

/** The window of the app's health history. */
export const HEALTH_WINDOW_MS = 60 * 60 * 1000;
/** How many lines of billing history the panel shows. */
const HISTORY_LIMIT = 200;

export class StackSource {
    private outputsRead: Promise<StackOutputs> | undefined;
    private auditRows = -1;
    /** Made once: a cloud backend reads the stack's credentials once. */
    private backendMade: Promise<PlatformBackend> | undefined;

    constructor(private readonly ctx: Context) {}

    get stack(): string {
        return this.ctx.stack;
    }

    /** The stack's outputs; read again when the audit log has grown since. */
    outputs(): Promise<StackOutputs> {
        this.outputsRead ??= this.ctx.engine.outputs(this.ctx.stack);
        // A failed read is tried again next time, not remembered.
        this.outputsRead.catch(() => (this.outputsRead = undefined));
        return this.outputsRead;
    }

    async backend(): Promise<PlatformBackend> {
        this.backendMade ??= (async () => backendFor(await this.outputs(), this.ctx.dataDir, this.ctx.stack, () => this.ctx.engine.config(this.ctx.stack)))();
        return this.backendMade;
    }

    async status(): Promise<StatusReport & { checkedAt: string }> {
        const outputs = await this.outputs();
        const services = await (await this.backend()).health(outputs);
        return { ...summarize(this.ctx.stack, outputs, services), checkedAt: new Date().toISOString() };
    }

    async app(now = new Date()): Promise<AppReport> {
        const outputs = await this.outputs();
        const history = outputs.monitoring?.monitorId ? await (await this.backend()).monitorHistory(outputs, new Date(now.getTime() - HEALTH_WINDOW_MS)) : undefined;
        return appReport(outputs.app, outputs.monitoring, history);
    }

    async billing(): Promise<BillingReport> {
        const account = accountOf(await this.outputs(), this.ctx.stack);
        const backend = await this.backend();
        const [balance, history, usage] = await Promise.all([backend.balance(account), backend.history(account, HISTORY_LIMIT), backend.usage(account)]);
        return billingReport(balance, history, usage.debits);
    }

    /** The audit log, filtered, oldest first; outputs are read again once it has grown. */
    async audit(query: AuditQuery = {}): Promise<AuditRecord[]> {
        const rows = await (await this.backend()).auditLog();
        if (this.auditRows >= 0 && rows.length !== this.auditRows) {
            this.outputsRead = undefined;
            this.backendMade = undefined;
        }
        this.auditRows = rows.length;
        let selected = filterAudit(rows, { resource: query.resource, since: query.since });
        if (query.action) selected = selected.filter((row) => row.action === query.action);
        return query.limit === undefined ? selected : selected.slice(-query.limit);
    }

    async logSources(): Promise<LogSource[]> {
        return (await this.backend()).logSources(await this.outputs());
    }

    async tailChanges(onChange: (event: ChangeEvent) => void): Promise<ChangeTail> {
        const subscriptionId = requireOutput((await this.outputs()).subscriptionId, "subscriptionId", this.ctx.stack);
        return (await this.backend()).tailChanges(subscriptionId, onChange);
    }
}
