// The program's entry point, in plain JavaScript, so that no Pulumi host
// compiles or type-checks anything on a run: it loads the TypeScript program
// through flow-nexus's own cached transpiler (providers/runtime/ts-hook.js),
// the one loader that also serves the providers, the sandbox supervisors and
// the watchdogs. Types are checked by `npm test` and `npm run preview`.
"use strict";
require("../providers/runtime/ts-register");
module.exports = require("./index.ts");
