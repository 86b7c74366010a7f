/**
 * Realtime's row filters, `column=op.value` (eq, neq, lt, lte, gt, gte, in),
 * judged as Supabase Realtime judges them: on the row's value, numerically
 * when both sides are numbers; `in.(a,b)` lists values.
 */
export function parseFilter(filter: string): { column: string; op: string; value: string } | undefined {
    const match = /^([a-z_][a-z0-9_]*)=(eq|neq|lt|lte|gt|gte|in)\.(.+)$/.exec(filter);
    return match ? { column: match[1], op: match[2], value: match[3] } : undefined;
}

function compare(a: string, b: string): number {
    const [x, y] = [Number(a), Number(b)];
    if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y)) return x - y;
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `record` passes `filter` (no filter, or no record: it passes). */
export function passes(filter: string | undefined | null, record: Record<string, unknown> | null): boolean {
    if (!filter || !record) return true;
    const parsed = parseFilter(filter);
    if (!parsed) return false;
    const raw = record[parsed.column];
    if (raw === undefined || raw === null) return false;
    const actual = typeof raw === "object" ? JSON.stringify(raw) : String(raw);
    const c = () => compare(actual, parsed.value);
    switch (parsed.op) {
        case "eq":
            return c() === 0;
        case "neq":
            return c() !== 0;
        case "lt":
            return c() < 0;
        case "lte":
            return c() <= 0;
        case "gt":
            return c() > 0;
        case "gte":
            return c() >= 0;
        default:
            return parsed.value
                .replace(/^\(|\)$/g, "")
                .split(",")
                .some((v) => compare(actual, v.trim()) === 0);
    }
}
