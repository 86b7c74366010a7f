// `node --require` this to load TypeScript with flow-nexus's cached
// transpilation (./ts-hook.js): the sandbox supervisors, the watchdogs and
// the CLI.
require("./ts-hook").installTypeScriptHook();
