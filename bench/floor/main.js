"use strict";
// Plain JavaScript that loads the TypeScript program through flow-nexus's own loader, as stacks/main.js does.
require("../../providers/runtime/ts-register");
module.exports = require("./index.ts");
