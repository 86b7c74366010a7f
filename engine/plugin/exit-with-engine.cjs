// Loaded with `node --require` into a plugin the engine starts: when the
// engine dies, the plugin is re-parented, and it exits within a few seconds
// (after a last chance for an operation under way to finish writing).
"use strict";
const fs = require("fs");

/** The parent's pid as the kernel has it now (process.ppid is read once, at start). */
function parentPid() {
    try {
        const stat = fs.readFileSync("/proc/self/stat", "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
        return process.ppid;
    }
}

// The engine as the launching script saw it: it may have died before this process started.
const engine = Number(process.env.FLOW_NEXUS_ENGINE_PID) || parentPid();
delete process.env.FLOW_NEXUS_ENGINE_PID;
const GRACE_MS = 2000;
const timer = setInterval(() => {
    if (parentPid() === engine) return;
    clearInterval(timer);
    setTimeout(() => process.exit(1), GRACE_MS).unref();
}, 250);
timer.unref();
