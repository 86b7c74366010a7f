import * as pulumi from "@pulumi/pulumi";
import { AuditedProvider } from "../runtime/crud";
import { diffInputs } from "../runtime/diff";
import type { LinkRef } from "../runtime/links";
import { FlowNexusResource } from "../runtime/resource";
import { ArgsOf, checkInputs, inputNames, replacedBy, secretInputs } from "../runtime/schema";
import { Inputs, Outputs, Profile, schema } from "./schema";

export { schema, Inputs, Outputs, Profile, UserBackend } from "./schema";

class Provider extends AuditedProvider<Inputs, Outputs> {
    constructor() {
        super({
            type: "PlatformUser",
            inputs: inputNames(schema),
            // Loaded on first use, so a preview never loads the Supabase SDK.
            backends: { local: async () => (await import("./local")).backend, cloud: async () => (await import("./supabase")).backend },
            id: (outs) => outs.userId,
        });
    }

    async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>> {
        return checkInputs(schema, news);
    }

    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // The email is the account's identity; a password or profile change updates it.
        return diffInputs(olds as never, news as never, inputNames(schema), replacedBy(schema), true);
    }
}

/** The implementation the registry hands this type's calls to, in the provider process. */
export const provider = new Provider();

/** The arguments of a {@link PlatformUser}: its inputs (see ./schema; the password is made a secret), the lineage tags set for it. */
export type PlatformUserArgs = ArgsOf<typeof schema, "tags">;

/** A platform user account (phase 1): the local users table, or Supabase Auth. */
export class PlatformUser extends FlowNexusResource {
    public readonly email!: pulumi.Output<string>;
    public readonly userId!: pulumi.Output<string>;
    public readonly profile!: pulumi.Output<Profile>;
    /** What a Deployment linked to it is told: the user's id and email (never the password). */
    public readonly link: pulumi.Output<LinkRef>;

    constructor(name: string, args: PlatformUserArgs, opts?: pulumi.CustomResourceOptions) {
        const secrets = secretInputs(schema);
        const props: Record<string, unknown> = { ...args, userId: undefined, profile: undefined };
        for (const key of secrets) props[key] = pulumi.secret(props[key]);
        super("PlatformUser", name, props, { ...opts, additionalSecretOutputs: secrets });
        this.link = pulumi.all([this.userId, this.email]).apply(([userId, email]) => ({ type: "PlatformUser" as const, name, userId, email }));
    }
}
