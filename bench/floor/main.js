"use strict";
// Plain JavaScript that loads the TypeScript program through flow-nexus's own
// loader, as stacks/main.js does, but in the engine's own order: the provider
// starts at the first resource (the floor does not start it early).
require("../../providers/runtime/ts-register");
module.exports = require("./index.ts");
