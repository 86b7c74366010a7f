import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { FlowNexusPlatform } from "../../components";
import { defaultMigrations } from "../../stacks/config";

const config = new pulumi.Config();
const count = config.requireNumber("count");
const backend = { kind: "local" as const, dataDir: config.require("dataDir") };

// The dev stack's migrations but the notes app's (003_notes grants on the dev stack's schema, `app`, by name).
const migrations = defaultMigrations(path.join(__dirname, "..", "..", "stacks", "migrations")).filter((m) => m.id !== "003_notes");

for (let i = 0; i < count; i++) {
    const name = `p${i}`;
    new FlowNexusPlatform(name, {
        identity: { email: `${name}@bench.local`, password: config.requireSecret("password"), settings: { platform: name } },
        services: {
            sandbox: { template: "node", ports: 1 },
            storage: { name: `${name}-assets` },
            database: { schema: `app_${i}`, migrations },
            realtime: { table: "messages" },
        },
        application: { source: { template: "node-http" }, healthPath: "/health" },
        operations: { alerts: [{ type: "file", path: path.join(backend.dataDir, `${name}-alerts.jsonl`) }] },
        billing: { thresholdCredits: 50, monthlyLimitUsd: 50, initialCredits: 100 },
        backends: { auth: backend, sandbox: backend, storage: backend, database: backend, payments: backend },
    });
}
