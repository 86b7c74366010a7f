/**
 * Where flow-nexus's own files are: a checkout runs its TypeScript sources,
 * an installed package its compiled dist/ (see tsconfig.build.json); both
 * find the files that are not code (templates/) and their sibling modules
 * through here.
 */
import * as fs from "fs";
import * as path from "path";

/** The nearest folder above `dir` whose package.json names flow-nexus. */
function packageRootOf(dir: string): string {
    for (let at = dir; ; at = path.dirname(at)) {
        try {
            if (JSON.parse(fs.readFileSync(path.join(at, "package.json"), "utf8")).name === "flow-nexus") return at;
        } catch {
            // no package.json here, or not ours: go up
        }
        if (path.dirname(at) === at) throw new Error(`flow-nexus: no flow-nexus package.json above ${dir}`);
    }
}

/** The checkout, or the installed package's folder. */
export const PACKAGE_ROOT = packageRootOf(__dirname);

/** A module of flow-nexus by its path without extension: `.ts` in a checkout, `.js` once compiled. */
export function moduleFile(...segments: string[]): string {
    return path.join(...segments) + path.extname(__filename);
}
