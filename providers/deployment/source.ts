/**
 * A deployment's source on disk: where it is, its content hash and what it
 * implies (an install step, a default start command), and copying it into an
 * app directory. Dependencies and VCS data (`node_modules`, `.git`) are
 * neither hashed nor copied: the install command makes the former.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { PACKAGE_ROOT } from "../runtime/package";
import { entries, sourceHash } from "./source-hash";

import type { Source } from "./schema";

/** The default install command for a source whose package.json declares dependencies. */
export const NPM_INSTALL = "npm install --omit=dev --no-audit --no-fund";
/** The default start command when the source has a server.js (both templates do). */
export const NODE_START = "node server.js";

/** The directory a source's files are read from. */
export function sourceDir(source: Source): string {
    return source.template !== undefined ? path.join(PACKAGE_ROOT, "templates", source.template) : source.directory!;
}

/** Copies a source directory into `target` (created if needed), without node_modules and .git. */
export async function copyDirectory(root: string, target: string): Promise<void> {
    await fs.mkdir(target, { recursive: true });
    for (const entry of await entries(root)) {
        const destination = path.join(target, ...entry.relative.split("/"));
        await fs.mkdir(path.dirname(destination), { recursive: true });
        // copyFile keeps the mode, so an executable script stays executable.
        if (entry.kind === "file") await fs.copyFile(entry.absolute, destination);
        else await fs.symlink(await fs.readlink(entry.absolute), destination);
    }
}

/**
 * The files of a source directory with their bytes, for an upload (E2B):
 * the same files {@link copyDirectory} copies, a symlink read through.
 */
export async function readSourceFiles(root: string): Promise<Array<{ relative: string; data: Buffer }>> {
    const files: Array<{ relative: string; data: Buffer }> = [];
    for (const entry of await entries(root)) files.push({ relative: entry.relative, data: await fs.readFile(entry.absolute) });
    return files;
}

/** What a source directory is, as far as a deployment's defaults care. */
export interface SourceFacts {
    dir: string;
    sourceHash: string;
    /** Its package.json declares dependencies, so it needs an install. */
    hasDependencies: boolean;
    /** It has a server.js, so `node server.js` starts it. */
    hasServerJs: boolean;
}

/** Reads a source: throws a message naming `source.directory` when the directory is not there. */
export async function inspectSource(source: Source): Promise<SourceFacts> {
    const dir = sourceDir(source);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) {
        const what = source.template !== undefined ? `source.template ${source.template} has no folder at ${dir}` : `source.directory must be an existing directory (got ${JSON.stringify(dir)})`;
        throw new Error(what);
    }
    let hasDependencies = false;
    try {
        const pkg = JSON.parse(await fs.readFile(path.join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
        hasDependencies = Object.keys(pkg.dependencies ?? {}).length > 0;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`the source's package.json is not valid JSON: ${(err as Error).message}`);
    }
    const hasServerJs = (await fs.stat(path.join(dir, "server.js")).catch(() => undefined))?.isFile() ?? false;
    return { dir, sourceHash: await sourceHash(dir), hasDependencies, hasServerJs };
}
