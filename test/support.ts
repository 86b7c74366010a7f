/** What the provider and end-to-end tests share. */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import type { Tags } from "../providers/runtime/lineage";
import { removePostgres } from "../providers/runtime/postgres-server";

/** A fresh stack data folder under the system's temp folder. */
export async function tempDataDir(): Promise<string> {
    return fs.mkdtemp(path.join(os.tmpdir(), "flow-nexus-test-"));
}

/** Stops a stack data folder's Postgres (if it runs) and removes the folder: a test's teardown. */
export async function removeStackData(dataDir: string): Promise<void> {
    await removePostgres(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
}

/** Lineage tags as a program would pass them, for a resource `name` of `type`. */
export function testTags(type: string, name: string, stack = "test"): Tags {
    return {
        "flow-nexus:project": "flow-nexus-tests",
        "flow-nexus:stack": stack,
        "flow-nexus:urn": `urn:pulumi:${stack}::flow-nexus-tests::pulumi-nodejs:dynamic/flownexus:${type}::${name}`,
    };
}

export async function exists(file: string): Promise<boolean> {
    return fs.access(file).then(
        () => true,
        () => false,
    );
}

/** Runs `fn` and returns the error it throws; fails if it does not throw. */
export async function rejection(fn: () => Promise<unknown>): Promise<Error> {
    try {
        await fn();
    } catch (err) {
        return err as Error;
    }
    throw new Error("expected the call to fail, and it succeeded");
}

/**
 * A provider as the engine calls it: every method present, results untyped,
 * so a test can pass what the engine would (e.g. empty old inputs).
 */
export type EngineView = { [K in keyof pulumi.dynamic.ResourceProvider]-?: (...args: any[]) => Promise<any> };
export function asEngine(provider: pulumi.dynamic.ResourceProvider): EngineView {
    return provider as EngineView;
}
