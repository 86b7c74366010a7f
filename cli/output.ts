/**
 * What commands print: results on stdout (a table or text for people, JSON
 * with `--json` for scripts) and progress on stderr, so a script that reads
 * stdout never sees a progress line. The formatting helpers are pure.
 */

/** Where a command writes; main passes the process's streams, tests their own. */
export interface Streams {
    stdout: { write(chunk: string): unknown };
    stderr: { write(chunk: string): unknown };
}

/** A table column: its header and whether its values line up on the right (numbers). */
export interface Column {
    header: string;
    align?: "left" | "right";
}

/**
 * A plain-text table: a header row, then one row per entry, columns as wide
 * as their widest cell and two spaces apart, no trailing spaces. Cells are
 * flattened to one line so a multi-line value never breaks the layout.
 */
export function renderTable(columns: ReadonlyArray<Column | string>, rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
    const cols = columns.map((c) => (typeof c === "string" ? { header: c } : c));
    const cell = (value: unknown) => (value === undefined || value === null ? "-" : String(value)).replace(/\s*\n\s*/g, " ");
    const body = rows.map((row) => cols.map((_, i) => cell(row[i])));
    const widths = cols.map((c, i) => Math.max(c.header.length, ...body.map((r) => r[i].length)));
    const line = (cells: string[]) =>
        cells
            .map((text, i) => (cols[i].align === "right" ? text.padStart(widths[i]) : i === cells.length - 1 ? text : text.padEnd(widths[i])))
            .join("  ")
            .trimEnd();
    return [line(cols.map((c) => c.header)), ...body.map(line)].join("\n") + "\n";
}

/** `90061` ms as `1m 30s`; coarse on purpose (an age, not a benchmark). */
export function formatDuration(ms: number): string {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
    const h = Math.floor(m / 60);
    if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
    return `${Math.floor(h / 24)}d`;
}

/** A time in UTC, to the second: `2025-06-01 12:00:05Z`. */
export function formatTime(at: Date | string): string {
    const date = typeof at === "string" ? new Date(at) : at;
    return Number.isNaN(date.getTime()) ? String(at) : `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

/** Credits to the millionth at most, without trailing zeros. */
export function formatCredits(credits: number): string {
    return String(Math.round(credits * 1e6) / 1e6);
}

/** US cents as `$10.00`. */
export function formatUsd(cents: number): string {
    return `$${(cents / 100).toFixed(2)}`;
}

/** Writes a command's results and progress. */
export class Output {
    constructor(
        private readonly streams: Streams,
        /** `--json`: results are JSON, one document per command (or one per line when following). */
        readonly json: boolean,
    ) {}

    /** Text for people; ignored under `--json` (the command prints its JSON instead). */
    text(text: string): void {
        if (!this.json) this.streams.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    }

    /** A JSON document on stdout, under `--json`. */
    data(value: unknown, compact = false): void {
        if (this.json) this.streams.stdout.write(`${JSON.stringify(value, null, compact ? undefined : 2)}\n`);
    }

    /** One line of progress on stderr: what a slow step is doing. */
    progress(message: string): void {
        this.streams.stderr.write(`${message}\n`);
    }

    /** A warning on stderr; never on stdout, where scripts read. */
    warn(message: string): void {
        this.streams.stderr.write(`warning: ${message}\n`);
    }
}
