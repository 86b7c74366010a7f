/**
 * The database's REST API (`/rest/v1`), the part of PostgREST that
 * @supabase/postgrest-js calls for tables: select (columns, filters, order,
 * limit, offset, `count=exact`, `.single()`), insert (and upsert), update
 * and delete. As in Supabase, each request runs as the database role its
 * JWT names (`anon`, `authenticated`, `service_role`) with the claims in
 * `request.jwt.claims`, so the schema's own grants and row-level policies
 * decide what it may do; `auth.uid()` and `auth.role()` work in policies.
 * The schemas served are the stack's DatabaseSchemas (and `public`); the
 * schema is chosen by the Accept-Profile / Content-Profile header.
 */
import type { IncomingMessage, ServerResponse } from "http";
import type { PoolClient } from "pg";
import { transaction } from "../providers/runtime/postgres";
import { caller, Context, readJsonBody, Reply, sendJson } from "./http";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPERATORS: Record<string, string> = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=", like: "like", ilike: "ilike" };
/** Query parameters that are not filters. */
const RESERVED = new Set(["select", "order", "limit", "offset", "on_conflict", "columns"]);

function pgrstError(status: number, code: string, message: string, details: string | null = null, hint: string | null = null): Reply {
    return new Reply(status, { code, details, hint, message });
}

const q = (name: string) => {
    if (!IDENTIFIER.test(name)) throw pgrstError(400, "PGRST100", `"${name}" is not a column name this API takes`);
    return `"${name}"`;
};

/** The WHERE clause of the request's filters (`col=op.value`), its values as parameters from `$start`. */
function filters(url: URL, params: unknown[]): string {
    const clauses: string[] = [];
    for (const [column, raw] of url.searchParams) {
        if (RESERVED.has(column)) continue;
        const negated = raw.startsWith("not.");
        const expr = negated ? raw.slice(4) : raw;
        const dot = expr.indexOf(".");
        const [op, value] = dot < 0 ? [expr, ""] : [expr.slice(0, dot), expr.slice(dot + 1)];
        let clause: string;
        if (op in OPERATORS) {
            params.push(op === "like" || op === "ilike" ? value.replace(/\*/g, "%") : value);
            clause = `${q(column)} ${OPERATORS[op]} $${params.length}`;
        } else if (op === "is" && ["null", "true", "false", "unknown"].includes(value.toLowerCase())) {
            clause = `${q(column)} is ${value.toLowerCase()}`;
        } else if (op === "in" && /^\(.*\)$/.test(value)) {
            params.push(value.slice(1, -1).split(",").map((v) => v.trim().replace(/^"(.*)"$/, "$1")));
            clause = `${q(column)}::text = any($${params.length}::text[])`;
        } else {
            throw pgrstError(400, "PGRST100", `"${column}=${raw}" is not a filter this API takes (eq, neq, gt, gte, lt, lte, like, ilike, is, in)`);
        }
        clauses.push(negated ? `not (${clause})` : clause);
    }
    return clauses.length ? ` where ${clauses.join(" and ")}` : "";
}

function columns(url: URL): string {
    const select = url.searchParams.get("select") ?? "*";
    if (select.trim() === "*") return "*";
    return select
        .split(",")
        .map((c) => c.trim())
        .map((c) => (c === "*" ? "*" : q(c)))
        .join(", ");
}

function ordering(url: URL): string {
    const order = url.searchParams.get("order");
    if (!order) return "";
    const terms = order.split(",").map((term) => {
        const [column, ...mods] = term.split(".");
        const dir = mods.includes("desc") ? " desc" : mods.includes("asc") ? " asc" : "";
        const nulls = mods.includes("nullsfirst") ? " nulls first" : mods.includes("nullslast") ? " nulls last" : "";
        return `${q(column)}${dir}${nulls}`;
    });
    return ` order by ${terms.join(", ")}`;
}

function paging(url: URL): string {
    const number = (name: string) => {
        const v = url.searchParams.get(name);
        if (v === null) return undefined;
        if (!/^\d+$/.test(v)) throw pgrstError(400, "PGRST100", `${name} must be a whole number (got ${v})`);
        return Number(v);
    };
    const [limit, offset] = [number("limit"), number("offset")];
    return `${limit !== undefined ? ` limit ${limit}` : ""}${offset !== undefined ? ` offset ${offset}` : ""}`;
}

/** The schemas served: `public` and the stack's DatabaseSchemas. */
async function exposed(ctx: Context): Promise<string[]> {
    const { rows } = await ctx.pool.query<{ schema: string }>("select distinct schema from flow_nexus.schema_migrations").catch(() => ({ rows: [] as Array<{ schema: string }> }));
    return ["public", ...rows.map((r) => r.schema).sort()];
}

function pgFailure(err: { code?: string; message: string; detail?: string; hint?: string }, role: string): Reply {
    const status =
        err.code === "42501" ? (role === "anon" ? 401 : 403)
        : err.code === "23505" || err.code === "23503" ? 409
        : err.code === "42P01" ? 404
        : err.code?.startsWith("08") || err.code?.startsWith("53") ? 503
        : 400;
    return pgrstError(status, err.code ?? "PGRST000", err.message, err.detail ?? null, err.hint ?? null);
}

/** Serves one REST request (`rest`: the path after /rest/v1/). */
export async function restApi(ctx: Context, req: IncomingMessage, res: ServerResponse, rest: string, url: URL): Promise<void> {
    const who = await caller(ctx, req, url, (status, message) => pgrstError(status, "PGRST301", message));
    const method = req.method ?? "GET";
    const read = method === "GET" || method === "HEAD";
    const schema = String((read ? req.headers["accept-profile"] : req.headers["content-profile"]) ?? "public");
    const schemas = await exposed(ctx);
    if (!schemas.includes(schema)) throw pgrstError(406, "PGRST106", `The schema must be one of the following: ${schemas.join(", ")}`);
    const table = decodeURIComponent(rest.replace(/\/$/, ""));
    if (!IDENTIFIER.test(table)) throw pgrstError(404, "PGRST125", `Invalid path specified in request URL: /rest/v1/${rest}`);
    const target = `"${schema}"."${table}"`;
    const prefer = String(req.headers.prefer ?? "");
    const representation = prefer.includes("return=representation");
    const single = String(req.headers.accept ?? "").includes("application/vnd.pgrst.object+json");
    const params: unknown[] = [];
    let sql: string;
    if (read) {
        sql = `select ${columns(url)} from ${target}${filters(url, params)}${ordering(url)}${paging(url)}`;
    } else {
        const body = method === "DELETE" ? {} : await readJsonBody<Record<string, unknown> | Array<Record<string, unknown>>>(req);
        const rows = Array.isArray(body) ? body : [body];
        const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].map(q);
        const returning = representation ? ` returning ${columns(url)}` : "";
        if (method === "POST") {
            if (keys.length === 0) throw pgrstError(400, "PGRST102", "Empty or invalid json");
            params.push(JSON.stringify(rows));
            const conflict = url.searchParams.get("on_conflict");
            const upsert = prefer.includes("resolution=merge-duplicates") ? ` on conflict (${(conflict ?? "id").split(",").map(q).join(", ")}) do update set ${keys.map((k) => `${k} = excluded.${k}`).join(", ")}`
                : prefer.includes("resolution=ignore-duplicates") ? ` on conflict do nothing` : "";
            sql = `insert into ${target} (${keys.join(", ")}) select ${keys.join(", ")} from json_populate_recordset(null::${target}, $1)${upsert}${returning}`;
        } else if (method === "PATCH") {
            if (keys.length === 0) throw pgrstError(400, "PGRST102", "Empty or invalid json");
            params.push(JSON.stringify(rows[0]));
            sql = `update ${target} set (${keys.join(", ")}) = (select ${keys.join(", ")} from json_populate_record(null::${target}, $1))${filters(url, params)}${returning}`;
            if (keys.length === 1) sql = sql.replace(`set (${keys[0]}) = (select`, `set ${keys[0]} = (select`);
        } else if (method === "DELETE") {
            sql = `delete from ${target}${filters(url, params)}${returning}`;
        } else {
            throw pgrstError(405, "PGRST117", `Unsupported HTTP method: ${method}`);
        }
    }
    const result = await runAs(ctx, who.role, who, async (client) => {
        const rows = (await client.query(sql, params)).rows;
        const count = prefer.includes("count=exact") && read ? Number((await client.query(`select count(*) from ${target}${filters(url, [])}`, [...params])).rows[0].count) : undefined;
        return { rows, count };
    }).catch((err: { code?: string; message: string }) => {
        if (err instanceof Reply) throw err;
        throw pgFailure(err, who.role);
    });
    const offset = Number(url.searchParams.get("offset") ?? 0);
    res.setHeader("content-range", `${result.rows.length ? `${offset}-${offset + result.rows.length - 1}` : "*"}/${result.count ?? "*"}`);
    if (single) {
        if (result.rows.length !== 1) throw pgrstError(406, "PGRST116", "JSON object requested, multiple (or no) rows returned", `The result contains ${result.rows.length} rows`);
        return sendJson(res, read ? 200 : method === "POST" ? 201 : 200, result.rows[0]);
    }
    if (read) return sendJson(res, 200, result.rows);
    if (!representation) return void res.writeHead(method === "POST" ? 201 : 204).end();
    return sendJson(res, method === "POST" ? 201 : 200, result.rows);
}

/** Runs `fn` in a transaction as the request's role, with its claims where policies read them. */
async function runAs<T>(ctx: Context, role: string, claims: object, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await ctx.pool.connect();
    try {
        return await transaction(client, async () => {
            await client.query(`set local role ${role === "service_role" ? "service_role" : role === "authenticated" ? "authenticated" : "anon"}`);
            const c = claims as { sub?: string; role?: string };
            await client.query("select set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true), set_config('request.jwt.claim.role', $3, true)", [
                JSON.stringify(claims),
                c.sub ?? "",
                c.role ?? role,
            ]);
            return fn(client);
        });
    } finally {
        client.release();
    }
}
