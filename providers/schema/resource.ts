import * as pulumi from "@pulumi/pulumi";
import { AuditedProvider, DataKeptError } from "../runtime/crud";
import { diffInputs } from "../runtime/diff";
import { BackendRef, Tags } from "../runtime/lineage";
import type { LinkRef } from "../runtime/links";
import { FlowNexusResource } from "../runtime/resource";
import { ArgsOf, checkInputs, inputNames, replacedBy, seeded } from "../runtime/schema";
import { duplicateId, Inputs, Migration, Outputs, schema } from "./schema";

export { schema, Inputs, Migration, Outputs, SchemaBackend } from "./schema";

// One backend for both kinds: the SQL is the same, and withDatabase connects
// to the stack's embedded Postgres (local) or to flow-nexus:databaseUrl
// (cloud) by the backend's kind. Loaded on first use, so a preview loads no driver.
const loadBackend = async () => (await import("./local")).backend;
const BACKENDS = { local: loadBackend, cloud: loadBackend };

/** Why `news` is not an append to `olds`, or undefined when it is. */
export function appendOnlyViolation(olds: Migration[], news: Migration[]): string | undefined {
    const duplicate = duplicateId(news);
    if (duplicate) return `migrations ${duplicate}`;
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
            inputs: inputNames(schema),
            backends: BACKENDS,
            id: (outs) => outs.schema,
        });
    }

    async check(olds: Partial<Inputs>, raw: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const { inputs: news, failures } = checkInputs(schema, raw);
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
        const diff = diffInputs(olds as never, news as never, inputNames(schema), replacedBy(schema));
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

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link DatabaseSchema}: its inputs (see ./schema), the lineage tags set for it. */
export type DatabaseSchemaArgs = ArgsOf<typeof schema, "tags">;

/** A Postgres schema and its append-only migrations (phase 2). */
export class DatabaseSchema extends FlowNexusResource {
    public readonly schema!: pulumi.Output<string>;
    public readonly applied!: pulumi.Output<string[]>;
    public readonly version!: pulumi.Output<string>;
    public readonly checksum!: pulumi.Output<string>;
    public readonly forceDestroy!: pulumi.Output<boolean>;
    public readonly backend!: pulumi.Output<BackendRef>;
    public readonly tags!: pulumi.Output<Tags>;
    /** What a Deployment linked to it is told: its name and schema (and a role with privileges on it). */
    public readonly link: pulumi.Output<LinkRef>;

    constructor(name: string, args: DatabaseSchemaArgs, opts?: pulumi.CustomResourceOptions) {
        const props = { ...seeded(schema), ...args, applied: undefined, version: undefined, checksum: undefined };
        super("DatabaseSchema", name, props, opts);
        this.link = this.schema.apply((schema) => ({ type: "DatabaseSchema" as const, name, schema }));
    }
}
