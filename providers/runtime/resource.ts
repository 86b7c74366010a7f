/**
 * The base of every flow-nexus resource class.
 *
 * Each is a dynamic resource (`pulumi-nodejs:dynamic/flownexus:<type>`),
 * served by the engine's Node.js dynamic provider, which evaluates the
 * module text in the resource's `__provider` property and calls what its
 * `handler` returns. `pulumi.dynamic.Resource` would serialize a provider
 * object into that text, with every function's closure: several kilobytes in
 * each resource's inputs and again in its outputs, which the engine writes
 * with the whole state at every step. flow-nexus writes the text itself: one
 * line that requires ./serve.js, which hands each call to the provider of the
 * resource's type (`providers/registry.ts`), so the state names no provider
 * file and no type, and no closure is serialized at all.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { lineageTags } from "./lineage";

/**
 * The module text every flow-nexus resource stores as its provider. The
 * engine starts programs and providers in the program's directory, so a
 * relative path keeps working when the checkout moves, and keeps this
 * machine's paths out of the state.
 */
export const PROVIDER = `exports.handler = () => require(require("path").resolve(${JSON.stringify(path.relative(process.cwd(), path.join(__dirname, "serve.js")))}));\n`;

export abstract class FlowNexusResource extends pulumi.CustomResource {
    /**
     * A resource of flow-nexus type `type` (`Sandbox`, `StorageBucket`, …: a
     * name in `providers/registry.ts`), with its lineage tags set.
     */
    constructor(type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        const token = `pulumi-nodejs:dynamic/flownexus:${type}`;
        // @pulumi/pulumi gives each of the four or five promises of every
        // property a formatted stack trace (runtime/debuggable.js), which
        // source-map-support maps frame by frame: most of what registering a
        // resource costs the program, for traces that only
        // PULUMI_DEBUG_PROMISE_LEAKS ever shows. They are left empty unless
        // it is set; the resource's source position takes a limit of its own.
        const limit = Error.stackTraceLimit;
        if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) Error.stackTraceLimit = 0;
        try {
            super(token, name, { ...props, tags: lineageTags(name, token, opts?.parent), __provider: PROVIDER }, opts);
        } finally {
            Error.stackTraceLimit = limit;
        }
    }
}
