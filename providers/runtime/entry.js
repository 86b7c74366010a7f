// @ts-check
"use strict";

/**
 * A Pulumi program's entry point, in plain JavaScript:
 *
 *     module.exports = programEntry(() => require("./index.ts"), () => require("./settings.ts"));
 *
 * Through flow-nexus's own TypeScript loader (./ts-register.js), it runs
 * `check` (the stack's config: light, and it throws on bad input), then has
 * the engine start the provider process, then loads the program, so that the
 * provider's start (about a second: Node.js and @pulumi/pulumi) runs beside
 * the program's load instead of after it. A program stopped by `check` has
 * started nothing: the engine records a provider it starts in the state.
 */
function programEntry(/** @type {() => unknown} */ load, /** @type {() => unknown} */ check = () => undefined) {
    return async () => {
        require("./ts-register");
        check();
        startProvider();
        // One turn of the event loop sends the request before the load holds the thread.
        await new Promise((resolve) => setImmediate(resolve));
        return load();
    };
}

/**
 * Asks the engine for the dynamic provider now rather than at the program's
 * first resource: the engine starts a package's default provider for an
 * invoke as for a resource, and it is the same provider. The dynamic provider
 * has no functions, so it answers "unknown function" once it runs; the
 * answer is not needed, and the engine reports nothing of it.
 */
function startProvider() {
    const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
    if (!monitor) return;
    const sdk = require("module").createRequire(require.resolve("@pulumi/pulumi"));
    const request = new (sdk("./proto/resource_pb").ResourceInvokeRequest)();
    request.setTok("pulumi-nodejs:index:start");
    request.setArgs(sdk("google-protobuf/google/protobuf/struct_pb").Struct.fromJavaScript({}));
    monitor.invoke(request, () => undefined);
}

module.exports = { programEntry };
