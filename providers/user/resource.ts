import * as pulumi from "@pulumi/pulumi";
import { all, backendKind, checkProps, optional, stringMap, text } from "../runtime/check";
import { AuditedProvider, Backend } from "../runtime/crud";
import { cloudCredentials } from "../runtime/credentials";
import { diffInputs } from "../runtime/diff";
import { BackendRef, lineageTags, Tags } from "../runtime/lineage";
import { forwardingProvider } from "../runtime/load";

const TYPE = "pulumi-nodejs:dynamic/flownexus:PlatformUser";

/** The resolved inputs of a platform user. */
export interface Inputs {
    email: string;
    /** Plain text only in memory: a secret in state, an scrypt hash in the users table. */
    password: string;
    fullName?: string;
    metadata: Record<string, string>;
    backend: BackendRef;
    tags: Tags;
}

/** The profile the platform keeps for a user (memory key flow-nexus/user-profile). */
export interface Profile {
    id: string;
    email: string;
    fullName?: string;
    metadata: Record<string, string>;
    createdAt: string;
}

export interface Outputs extends Inputs {
    userId: string;
    profile: Profile;
}

export type UserBackend = Backend<Inputs, Outputs>;

const INPUTS = ["email", "password", "fullName", "metadata", "backend", "tags"] as const;

/** The shortest password accepted; Supabase Auth's default minimum is 6, ours is stricter. */
export const MIN_PASSWORD_LENGTH = 12;

/** The `check` rules, also used to validate stack config. */
export const rules = {
    email: text({
        pattern: "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$",
        allowed: "an email address such as dev@example.com",
        maxLength: 254,
    }),
    password: (value: unknown) =>
        typeof value === "string" && value.length >= MIN_PASSWORD_LENGTH && value.length <= 72
            ? undefined
            : `must be ${MIN_PASSWORD_LENGTH} to 72 characters`,
    fullName: optional(text({ maxLength: 200 })),
    metadata: optional(stringMap()),
    backend: all(backendKind(["local", "cloud"]), cloudCredentials(["supabaseUrl", "supabaseServiceRoleKey", "databaseUrl"])),
};

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "PlatformUser",
            inputs: INPUTS,
            // Loaded on first use, so a preview never loads the Supabase SDK.
            backends: { local: async () => (await import("./local")).backend, cloud: async () => (await import("./supabase")).backend },
            id: (outs) => outs.userId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        const inputs: Inputs = { ...news, metadata: news.metadata ?? {} };
        return { inputs, failures: checkProps(inputs as unknown as Record<string, unknown>, rules) };
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // The email is the account's identity; a password or profile change updates it.
        return diffInputs(olds as never, news as never, INPUTS, ["email", "backend"], true);
    }
}

/** The implementation the serialized shell forwards to, in the provider process. */
export const provider = new Provider();

const shell = forwardingProvider("PlatformUser");

/** The arguments of a {@link PlatformUser}. */
export interface PlatformUserArgs {
    /** The account's email; changing it replaces the account. */
    readonly email: pulumi.Input<string>;
    /** The password, 12 to 72 characters; pass a secret (config secret). Changing it updates in place. */
    readonly password: pulumi.Input<string>;
    /** The user's full name. Default none. */
    readonly fullName?: pulumi.Input<string>;
    /** Free-form profile metadata. Default none. */
    readonly metadata?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Which backend holds the account. */
    readonly backend: pulumi.Input<BackendRef>;
}

/** A platform user account (phase 1): the local users table, or Supabase Auth. */
export class PlatformUser extends pulumi.dynamic.Resource {
    public readonly email!: pulumi.Output<string>;
    public readonly userId!: pulumi.Output<string>;
    public readonly profile!: pulumi.Output<Profile>;

    constructor(name: string, args: PlatformUserArgs, opts?: pulumi.CustomResourceOptions) {
        const tags = lineageTags(name, TYPE, opts?.parent);
        const props = { ...args, password: pulumi.secret(args.password), tags, userId: undefined, profile: undefined };
        super(shell, name, props, { ...opts, additionalSecretOutputs: ["password"] }, "flownexus", "PlatformUser");
    }
}
