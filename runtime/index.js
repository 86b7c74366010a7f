"use strict";
/**
 * For apps deployed by flow-nexus: the platform resources an app is linked
 * to, from the FLOW_NEXUS_RESOURCES its deployment sets. Plain JavaScript
 * with no dependencies, so any Node.js app can require it:
 *
 *     const { linked } = require("flow-nexus/runtime");
 *     const bucket = linked("StorageBucket").bucket;
 */

/** Every linked resource, by name: `{ "<name>": { type, ...attributes } }`. */
function resources(env = process.env) {
    const text = env.FLOW_NEXUS_RESOURCES;
    if (text === undefined || text === "") return {};
    try {
        return JSON.parse(text);
    } catch {
        throw new Error("FLOW_NEXUS_RESOURCES is not JSON: it is set by flow-nexus links; do not set it by hand");
    }
}

/**
 * The linked resource named `nameOrType`, or the one linked resource of that
 * type (`StorageBucket`, `DatabaseSchema`, `RealtimeSubscription`,
 * `PlatformUser`). An error names what is linked when it is not there.
 */
function linked(nameOrType, env = process.env) {
    const all = resources(env);
    if (Object.prototype.hasOwnProperty.call(all, nameOrType)) return { name: nameOrType, ...all[nameOrType] };
    const ofType = Object.entries(all).filter(([, r]) => r.type === nameOrType);
    if (ofType.length === 1) return { name: ofType[0][0], ...ofType[0][1] };
    const list = (entries) => entries.map(([n, r]) => `${n} (${r.type})`).join(", ");
    if (ofType.length > 1) throw new Error(`more than one ${nameOrType} is linked to this app (${list(ofType)}): ask for one by name`);
    const have = Object.entries(all);
    throw new Error(`${nameOrType} is not linked to this app (linked: ${have.length ? list(have) : "nothing"}); add it to the deployment's links`);
}

module.exports = { linked, resources };
