// @ts-check
"use strict";

/**
 * A Pulumi program's entry point, in plain JavaScript:
 *
 *     module.exports = programEntry(() => require("./index.ts"));
 *
 * It has the engine start the provider process at once, then loads the
 * TypeScript program through flow-nexus's own loader (./ts-register.js), so
 * the provider's start (about a second: Node.js and @pulumi/pulumi) runs
 * beside the program's load instead of after it.
 */
function programEntry(/** @type {() => unknown} */ load) {
    return async () => {
        startProvider();
        // One turn of the event loop sends the request before the load holds the thread.
        await new Promise((resolve) => setImmediate(resolve));
        require("./ts-register");
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
