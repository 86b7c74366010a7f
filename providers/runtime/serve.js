// @ts-check
"use strict";
// What the provider every resource stores in state (./resource.ts) requires
// in the provider process, where nothing loads TypeScript yet: flow-nexus's loader
// (./ts-hook.js), then the registry that hands each call to its type's provider.
require("./ts-hook").installTypeScriptHook();
module.exports = require("../registry");
