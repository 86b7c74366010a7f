#!/usr/bin/env node
// The `flow-nexus` command: loads the TypeScript CLI with the project's cached
// transpilation (type checking is `npm run typecheck`'s job, not every run's).
"use strict";

require("../providers/runtime/ts-register.js");

// A reader that goes away (`flow-nexus audit | head`) is not an error.
process.stdout.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
});

// The CLI operates this checkout's stacks; an installed flow-nexus package
// ships the components and resources, not the CLI's sources.
if (!require("fs").existsSync(require("path").join(__dirname, "main.ts"))) {
    console.error("flow-nexus: the CLI runs from a flow-nexus checkout (node cli/bin.js there); this installed package provides the components, the resources and flow-nexus/runtime");
    process.exit(2);
}

require("./main.ts")
    .main(process.argv.slice(2))
    .then((code) => {
        process.exitCode = code;
        // Open handles (a database client's socket, a follow timer) must not keep a finished command alive.
        setTimeout(() => process.exit(code), 200).unref();
    });
