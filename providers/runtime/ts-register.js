// `node --require` this to load TypeScript with flow-nexus's cached
// transpilation (./ts-hook.js): the Pulumi program (Pulumi.yaml's nodeargs),
// the sandbox supervisors and the watchdogs.
require("./ts-hook").installTypeScriptHook();
