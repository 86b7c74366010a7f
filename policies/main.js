// The policy pack's entry point, in plain JavaScript. Pulumi's policy-pack
// runner registers ts-node with type checking on, for every file and every
// preview; `npm test` checks the types once instead, so the pack loads
// through flow-nexus's own cached transpiler, as the program does.
"use strict";
delete require.extensions[".ts"];
require("../providers/runtime/ts-register");
module.exports = require("./index.ts");
