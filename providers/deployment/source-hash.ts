/**
 * A source directory's content hash, and its files as the hash and the
 * copy see them. The hash is remembered by the files' stat signature (each
 * one's path, kind, size, mtime, ctime and inode), so a no-op `check` reads
 * no file of a source that has not changed: it is kept per machine in
 * `~/.cache/flow-nexus/source-hashes.json`. A file changed within the last
 * two seconds is not trusted to its signature (a second change in the same
 * clock tick would keep it), so such a source is hashed afresh each time.
 */
import { createHash } from "crypto";
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import { readJson, writeFileAtomic } from "../runtime/files";

/** Folders left out of the hash and the copy, at any depth. */
const SKIPPED = new Set(["node_modules", ".git"]);

/** A file of a source: its path relative to the source's root, with forward slashes. */
interface Entry {
    relative: string;
    absolute: string;
    kind: "file" | "symlink";
}

export async function entries(root: string, relative = ""): Promise<Entry[]> {
    const found: Entry[] = [];
    const dirents = await fs.readdir(path.join(root, relative), { withFileTypes: true });
    for (const dirent of dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const rel = relative ? `${relative}/${dirent.name}` : dirent.name;
        const absolute = path.join(root, rel);
        if (SKIPPED.has(dirent.name)) continue;
        if (dirent.isDirectory()) {
            found.push(...(await entries(root, rel)));
        } else if (dirent.isSymbolicLink()) {
            found.push({ relative: rel, absolute, kind: "symlink" });
        } else if (dirent.isFile()) {
            found.push({ relative: rel, absolute, kind: "file" });
        }
        // Sockets, FIFOs and devices are not source code.
    }
    return found;
}

/**
 * The sha256 of a source directory: every file's relative path and bytes
 * (a symlink's target), in path order, so the same tree always hashes the
 * same wherever it lives.
 */
export async function hashDirectory(root: string): Promise<string> {
    const hash = createHash("sha256");
    for (const entry of await entries(root)) {
        hash.update(`${entry.kind}\0${entry.relative}\0`);
        const content = entry.kind === "symlink" ? Buffer.from(await fs.readlink(entry.absolute)) : await fs.readFile(entry.absolute);
        hash.update(`${content.length}\0`);
        hash.update(content);
    }
    return hash.digest("hex");
}

/** How recent a change may be and its signature still be trusted. */
const SETTLED_MS = 2000;
/** At most this many sources are remembered; the oldest go first. */
const REMEMBERED = 200;

const cacheFile = () => path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "flow-nexus", "source-hashes.json");

type Remembered = Record<string, { signature: string; hash: string; at: number }>;

/** The stat signature of a source's files, and whether every one of them has settled. */
async function signature(root: string): Promise<{ signature: string; settled: boolean }> {
    const hash = createHash("sha256");
    let newest = 0;
    for (const entry of await entries(root)) {
        const stat = await fs.lstat(entry.absolute);
        newest = Math.max(newest, stat.mtimeMs, stat.ctimeMs);
        hash.update(`${entry.kind}\0${entry.relative}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}\0${stat.ino}\n`);
    }
    return { signature: hash.digest("hex"), settled: Date.now() - newest > SETTLED_MS };
}

/** {@link hashDirectory}'s hash of `root`, read from the cache when no file of it changed since. */
export async function sourceHash(root: string): Promise<string> {
    const key = path.resolve(root);
    const seen = await signature(key);
    const remembered = (await readJson<Remembered>(cacheFile()).catch(() => undefined)) ?? {};
    if (remembered[key]?.signature === seen.signature) return remembered[key].hash;
    const hash = await hashDirectory(key);
    if (seen.settled) {
        const kept = Object.entries({ ...remembered, [key]: { signature: seen.signature, hash, at: Date.now() } })
            .sort(([, a], [, b]) => b.at - a.at)
            .slice(0, REMEMBERED);
        await fs.mkdir(path.dirname(cacheFile()), { recursive: true });
        // Best effort: another process may be writing it too, and either version is right.
        await writeFileAtomic(cacheFile(), JSON.stringify(Object.fromEntries(kept))).catch(() => undefined);
    }
    return hash;
}
