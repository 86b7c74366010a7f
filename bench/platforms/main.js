"use strict";
// Plain JavaScript that starts the provider and loads the TypeScript program as stacks/main.js does.
module.exports = require("../../providers/runtime/entry").programEntry(() => require("./index.ts"));
