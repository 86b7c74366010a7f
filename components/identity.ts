import * as pulumi from "@pulumi/pulumi";
import { BackendRef } from "../providers/runtime/lineage";
import { PlatformUser, Profile } from "../providers/user/resource";

/** The arguments of {@link Identity}. */
export interface IdentityArgs {
    /** The account's email. */
    readonly email: pulumi.Input<string>;
    /** The account's password; a secret. */
    readonly password: pulumi.Input<string>;
    /** The user's full name. Default none. */
    readonly fullName?: pulumi.Input<string>;
    /** Profile metadata. Default none. */
    readonly metadata?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The non-secret platform configuration to publish (memory key flow-nexus/config). */
    readonly settings: pulumi.Input<Record<string, unknown>>;
    /** Where the account lives. */
    readonly backend: pulumi.Input<BackendRef>;
}

/** Phase 1 is complete when the account exists with a profile and the configuration is present. */
export function identityComplete(userId: string | undefined, profile: Profile | undefined, settings: object | undefined): boolean {
    return Boolean(userId) && profile?.id === userId && Boolean(profile?.email) && settings !== undefined && Object.keys(settings).length > 0;
}

/** Phase 1, authentication: the platform user and the platform configuration. */
export class Identity extends pulumi.ComponentResource {
    public readonly user: PlatformUser;
    public readonly userId: pulumi.Output<string>;
    public readonly profile: pulumi.Output<Profile>;
    public readonly settings: pulumi.Output<Record<string, unknown>>;
    public readonly complete: pulumi.Output<boolean>;

    constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flownexus:identity:Identity", name, {}, opts);
        this.user = new PlatformUser(
            `${name}-user`,
            { email: args.email, password: args.password, fullName: args.fullName, metadata: args.metadata, backend: args.backend },
            { parent: this },
        );
        this.userId = this.user.userId;
        this.profile = this.user.profile;
        this.settings = pulumi.output(args.settings) as unknown as pulumi.Output<Record<string, unknown>>;
        this.complete = pulumi.all([this.userId, this.profile, this.settings]).apply(([id, profile, settings]) =>
            identityComplete(id, profile, settings),
        );
        this.registerOutputs({ userId: this.userId, profile: this.profile, settings: this.settings, complete: this.complete });
    }
}
