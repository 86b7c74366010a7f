// The program's entry point, in plain JavaScript, so that no Pulumi host
// compiles or type-checks anything on a run: it checks the stack's config,
// starts the engine's provider process and loads the TypeScript program
// through flow-nexus's own cached transpiler (providers/runtime/entry.js), the
// one loader that also serves the providers, the sandbox supervisors and the
// watchdogs. Types are checked by `npm test` and `npm run preview`.
"use strict";
module.exports = require("../providers/runtime/entry").programEntry(
    () => require("./index.ts"),
    () => require("./settings.ts"),
);
