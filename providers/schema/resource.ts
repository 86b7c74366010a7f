import * as pulumi from "@pulumi/pulumi";
import { all, backendKind, boolean, checkProps, list, optional, text } from "../runtime/check";
import { AuditedProvider, Backend, DataKeptError } from "../runtime/crud";
import { cloudCredentials } from "../runtime/credentials";
import { diffInputs } from "../runtime/diff";
import { BackendRef, lineageTags, Tags } from "../runtime/lineage";
import { forwardingProvider } from "../runtime/load";

const TYPE = "pulumi-nodejs:dynamic/flownexus:DatabaseSchema";

/** One migration: applied once, in its own transaction, never edited afterwards. */
export interface Migration {
    id: string;
    sql: string;
}

export interface Inputs {
    schema: string;
    /** Append-only: a new migration is added at the end; applied ones never change. */
    migrations: Migration[];
    /** Drop the schema with its rows; without it a schema whose tables hold rows is kept. */
    forceDestroy: boolean;
    backend: BackendRef;
    tags: Tags;
}

export interface Outputs extends Inputs {
    /** The ids of the migrations applied, in order. */
    applied: string[];
    /** The id of the last migration applied. */
    version: string;
    /** sha256 over every applied migration's id and SQL. */
    checksum: string;
}

export type SchemaBackend = Backend<Inputs, Outputs>;

const INPUTS = ["schema", "migrations", "forceDestroy", "backend", "tags"] as const;

// One backend for both kinds: the SQL is the same, and withDatabase connects
// to the stack's embedded Postgres (local) or to flow-nexus:databaseUrl
// (cloud) by the backend's kind. Loaded on first use, so a preview loads no driver.
const loadBackend = async () => (await import("./local")).backend;
const BACKENDS = { local: loadBackend, cloud: loadBackend };

/** The `check` rules, also used to validate stack config. */
export const rules = {
    schema: text({
        pattern: "^(?!pg_)(?!flow_nexus$)(?!information_schema$)[a-z_][a-z0-9_]{0,62}$",
        allowed:
            "a Postgres identifier: up to 63 lowercase letters, digits or underscores, not starting with a digit " +
            "or pg_, and not flow_nexus or information_schema",
    }),
    migrations: list(
        (value) => {
            const m = value as Partial<Migration> | undefined;
            if (typeof m?.id !== "string" || !/^[A-Za-z0-9_.-]{1,100}$/.test(m.id)) {
                return "id must be 1 to 100 letters, digits, dots, hyphens or underscores";
            }
            if (typeof m.sql !== "string" || m.sql.trim() === "") return `(${m.id}) sql must not be empty`;
            return undefined;
        },
        { minItems: 1 },
    ),
    forceDestroy: optional(boolean()),
    backend: all(backendKind(Object.keys(BACKENDS)), cloudCredentials(["databaseUrl"])),
};

/** Why `news` is not an append to `olds`, or undefined when it is. */
export function appendOnlyViolation(olds: Migration[], news: Migration[]): string | undefined {
    const ids = news.map((m) => m.id);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate) return `migrations has two migrations with id ${duplicate}: ids must be unique`;
    for (let i = 0; i < olds.length; i++) {
        const applied = olds[i];
        const now = news[i];
        if (!now || now.id !== applied.id) {
            return (
                `migrations[${i}] must stay ${applied.id}: it is applied, and migrations are append-only ` +
                "(add new migrations at the end; never remove or reorder applied ones)"
            );
        }
        if (now.sql !== applied.sql) {
            return (
                `migrations[${i}] (${applied.id}) was edited after it was applied: restore its SQL ` +
                "and add a new migration with the change"
            );
        }
    }
    return undefined;
}

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "DatabaseSchema",
            inputs: INPUTS,
            backends: BACKENDS,
            id: (outs) => outs.schema,
        });
    }

    async check(olds: Partial<Inputs>, raw: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const news = { ...raw, forceDestroy: raw.forceDestroy ?? false };
        const failures = checkProps(news as unknown as Record<string, unknown>, rules);
        // Only a schema that stays the same has applied migrations to protect; every one needs unique ids.
        if (failures.length === 0) {
            const applied = olds.schema === news.schema && Array.isArray(olds.migrations) ? olds.migrations : [];
            const reason = appendOnlyViolation(applied, news.migrations);
            if (reason) failures.push({ property: "migrations", reason });
        }
        return { inputs: news, failures };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // A new schema name is a new schema; appended migrations apply in place.
        const diff = diffInputs(olds as never, news as never, INPUTS, ["schema", "backend"]);
        // A replacement drops the old schema at the end of the run: one that
        // holds rows stops the run here, at preview, before anything is made.
        if (diff.replaces!.length > 0 && !news.forceDestroy) {
            const held = await this.refusal(olds);
            if (held) {
                const change = olds.schema !== news.schema ? `renaming schema ${olds.schema} to ${news.schema}` : `moving schema ${olds.schema} to another backend`;
                throw new DataKeptError(
                    `${change} would drop ${held.replace(/ holds /, ", which holds ")}: nothing was changed. ` +
                        "Set forceDestroy: true on the schema to drop it with its rows, or keep it where it is.",
                );
            }
        }
        return diff;
    }
}

/** The implementation the serialized shell forwards to, in the provider process. */
export const provider = new Provider();

const shell = forwardingProvider("DatabaseSchema");

/** The arguments of a {@link DatabaseSchema}. */
export interface DatabaseSchemaArgs {
    /** The Postgres schema the migrations run in; changing it replaces the schema. */
    readonly schema: pulumi.Input<string>;
    /** The migrations, append-only: add new ones at the end. */
    readonly migrations: pulumi.Input<pulumi.Input<Migration>[]>;
    /** Drop the schema's rows with it (on delete or replace). Default false: a schema whose tables hold rows is kept. */
    readonly forceDestroy?: pulumi.Input<boolean>;
    /** Which backend's database holds it. */
    readonly backend: pulumi.Input<BackendRef>;
}

/** A Postgres schema and its append-only migrations (phase 2). */
export class DatabaseSchema extends pulumi.dynamic.Resource {
    public readonly schema!: pulumi.Output<string>;
    public readonly applied!: pulumi.Output<string[]>;
    public readonly version!: pulumi.Output<string>;
    public readonly checksum!: pulumi.Output<string>;
    public readonly forceDestroy!: pulumi.Output<boolean>;
    public readonly backend!: pulumi.Output<BackendRef>;
    public readonly tags!: pulumi.Output<Tags>;

    constructor(name: string, args: DatabaseSchemaArgs, opts?: pulumi.CustomResourceOptions) {
        const tags = lineageTags(name, TYPE, opts?.parent);
        const props = { forceDestroy: undefined, ...args, tags, applied: undefined, version: undefined, checksum: undefined };
        super(shell, name, props, opts, "flownexus", "DatabaseSchema");
    }
}
