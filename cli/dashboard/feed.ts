/**
 * The dashboard's live feed: while at least one page listens, the stack is
 * read every refresh (status, app, billing, audit) and a topic is sent only
 * when it changed; the logs are followed and their new lines sent; the
 * realtime subscription's changes are received as an app receives them and
 * passed on as they arrive. A page that connects gets every topic's latest
 * document, the logs' last lines and the recent changes at once. Nothing
 * runs while no page listens.
 */
import type { ChangeEvent, LogSource } from "../backends";
import type { ChangeTail } from "../backends/types";
import { describeError } from "../errors";
import { Follower, lastLines, newLines } from "../tail";
import type { StackSource } from "./source";

/** One message of the feed: an event name and its JSON document. */
export interface FeedMessage {
    event: string;
    data: unknown;
}

export type Listener = (message: FeedMessage) => void;

/** The topics read every refresh. */
export const TOPICS = ["status", "app", "billing", "audit"] as const;
type Topic = (typeof TOPICS)[number];

/** How many log lines, and realtime changes, a page gets when it connects. */
const LOG_LINES = 200;
const RECENT_CHANGES = 50;
/** How often followed logs are read. */
const LOG_POLL_MS = 500;

/** A failure, as the page shows it in place of a topic: one line. */
const failure = (err: unknown) => ({ error: describeError(err).message });

export class Feed {
    private readonly listeners = new Set<Listener>();
    private readonly latest = new Map<string, string>();
    private readonly followers = new Map<string, Follower & { source: LogSource }>();
    private readonly changes: ChangeEvent[] = [];
    private tail: ChangeTail | undefined;
    private tailing: Promise<void> | undefined;
    private readonly timers = new Map<string, NodeJS.Timeout>();
    private running = false;
    private refreshing: Promise<void> | undefined;

    constructor(
        private readonly source: StackSource,
        private readonly refreshMs: number,
    ) {}

    /** Adds a listener: it gets the latest of everything now, then each change. Returns its removal. */
    async subscribe(listener: Listener): Promise<() => void> {
        this.listeners.add(listener);
        if (!this.running) this.start();
        else for (const [event, json] of this.latest) listener({ event, data: JSON.parse(json) });
        for (const [name, follower] of this.followers) listener({ event: "log", data: { source: name, lines: (await lastLines(follower.file, LOG_LINES)).lines, reset: true } });
        for (const change of this.changes) listener({ event: "change", data: change });
        return () => {
            this.listeners.delete(listener);
            if (this.listeners.size === 0) void this.stop();
        };
    }

    private broadcast(event: string, data: unknown): void {
        for (const listener of this.listeners) listener({ event, data });
    }

    /** Sends a topic when its document differs from the last one sent. */
    private offer(event: string, data: unknown): void {
        const json = JSON.stringify(data);
        if (this.latest.get(event) === json) return;
        this.latest.set(event, json);
        this.broadcast(event, data);
    }

    private start(): void {
        this.running = true;
        // Each loop waits for its round to end before the next is due: rounds never overlap.
        const loop = (name: string, fn: () => Promise<void>, ms: number) => {
            const run = async () => {
                if (!this.running) return;
                await fn().catch(() => undefined);
                if (this.running) this.timers.set(name, setTimeout(run, ms));
            };
            void run();
        };
        loop("refresh", () => this.refresh(), this.refreshMs);
        loop("logs", () => this.followLogs(), LOG_POLL_MS);
    }

    /** Reads every topic once (audit first: a grown audit log has the others read the new outputs). */
    refresh(): Promise<void> {
        this.refreshing ??= (async () => {
            await this.read("audit");
            await Promise.all([this.read("status"), this.read("app"), this.read("billing"), this.followChanges(), this.watchLogs()]);
        })().finally(() => (this.refreshing = undefined));
        return this.refreshing;
    }

    private async read(topic: Topic): Promise<void> {
        const data = await (topic === "audit" ? this.source.audit().then((entries) => ({ entries })) : this.source[topic]()).catch(failure);
        this.offer(topic, data);
    }

    /** Follows the stack's logs; a log whose file changed (a redeployed app) is followed from its new file. */
    private async watchLogs(): Promise<void> {
        let sources: LogSource[];
        try {
            sources = await this.source.logSources();
        } catch (err) {
            this.offer("logs", failure(err));
            return;
        }
        this.offer("logs", { sources: sources.map((s) => s.name) });
        for (const source of sources) {
            const { name, file } = source;
            if (this.followers.get(name)?.file === file) continue;
            await source.refresh?.();
            const { lines, size } = await lastLines(file, LOG_LINES);
            this.followers.set(name, { source, file, offset: size, partial: "" });
            this.broadcast("log", { source: name, lines, reset: true });
        }
    }

    private async followLogs(): Promise<void> {
        for (const [name, follower] of this.followers) {
            await follower.source.refresh?.();
            const lines = await newLines(follower);
            if (lines.length > 0) this.broadcast("log", { source: name, lines });
        }
    }

    /** Receives the subscription's changes; tried again each refresh until it listens. */
    private followChanges(): Promise<void> {
        if (this.tail) return Promise.resolve();
        this.tailing ??= this.source
            .tailChanges((change) => {
                this.changes.push(change);
                this.changes.splice(0, Math.max(0, this.changes.length - RECENT_CHANGES));
                this.broadcast("change", change);
            })
            .then(
                async (tail) => {
                    if (this.running) {
                        this.tail = tail;
                        this.offer("realtime", { table: tail.table, filter: tail.filter ?? null });
                    } else await tail.stop();
                },
                (err) => this.offer("realtime", failure(err)),
            )
            .finally(() => (this.tailing = undefined));
        return this.tailing;
    }

    /** Stops reading (timers, the realtime tail) and forgets the latest documents, until a page listens again. */
    async stop(): Promise<void> {
        this.running = false;
        for (const timer of this.timers.values()) clearTimeout(timer);
        this.timers.clear();
        this.latest.clear();
        this.followers.clear();
        this.changes.length = 0;
        const tail = this.tail;
        this.tail = undefined;
        await tail?.stop().catch(() => undefined);
        await this.refreshing?.catch(() => undefined);
        await this.tailing;
    }
}
