import { strict as assert } from "assert";
import { readFileSync } from "fs";
import { load } from "js-yaml";
import * as path from "path";
import { configTable, withTable } from "../../stacks/config-table";
import { ConfigError, defaultMigrations, namespaceProblems, platformConfig, RawConfig, SECTION_NAMES } from "../../stacks/config";

const migrations = () => [{ id: "001", sql: "create table t (id int)" }];

function problemsOf(raw: RawConfig, passwordSet = true): string[] {
    try {
        platformConfig(raw, { passwordSet, migrations });
    } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems;
    }
    return [];
}

describe("unit: stack config", function () {
    it("fills every default for an empty config", function () {
        const config = platformConfig({}, { passwordSet: true, migrations });
        assert.equal(config.user.email, "dev@flow-nexus.local");
        assert.deepEqual(config.sandbox, { template: "node", ports: 1, timeoutSeconds: 3600, envs: {}, metadata: {}, onTimeout: "kill" });
        assert.deepEqual(config.storage, { name: "platform-assets", public: false, fileSizeLimit: 52428800, allowedMimeTypes: [], forceDestroy: false });
        assert.deepEqual(config.database, { schema: "app", migrations: migrations(), forceDestroy: false });
        assert.equal(config.billing.forceDestroy, false);
        const alerts = platformConfig({}, { passwordSet: true, migrations, defaultAlerts: [{ type: "file", path: "/tmp/alerts.jsonl" }] }).monitoring.alerts;
        assert.deepEqual(alerts, [{ type: "file", path: "/tmp/alerts.jsonl" }], "alerts default to the stack's file");
        assert.deepEqual(config.realtime, { table: "messages", events: ["*"] });
    });

    it("the README's configuration table is the one the schemas give (npm run docs writes it)", function () {
        const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
        const table = configTable();
        assert.match(table, /\| `flow-nexus:sandbox.timeoutSeconds` \| `3600` \| 60 to 86400 seconds \|/);
        assert.equal(withTable(readme, table), readme, "README.md's table is out of date: run npm run docs");
    });

    it("reads the dev stack's migrations from stacks/migrations in name order", function () {
        assert.deepEqual(
            defaultMigrations().map((m) => m.id),
            ["001_init", "002_usage", "003_notes"],
        );
    });

    it("names every bad key with what is allowed", function () {
        assert.deepEqual(
            problemsOf({
                user: { email: "nope" },
                sandbox: { timeoutSeconds: 59, template: "cobol", ports: 17 },
                storage: { bucket: "UPPER" },
                database: { schema: "pg_x", migrations: [{ id: "1", sql: "" }] },
                realtime: { events: ["SELECT"] },
            }),
            [
                'flow-nexus:user.email must be an email address such as dev@example.com (got "nope")',
                'flow-nexus:sandbox.template must be one of node, python, react, nextjs, vanilla, base, claude-code (got "cobol")',
                "flow-nexus:sandbox.timeoutSeconds must be a whole number from 60 to 86400 seconds (got 59)",
                "flow-nexus:sandbox.ports must be a whole number from 0 to 16 (got 17)",
                'flow-nexus:storage.bucket must be 3 to 63 lowercase letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit (got "UPPER")',
                'flow-nexus:database.schema must be a Postgres identifier: up to 63 lowercase letters, digits or underscores, not starting with a digit or pg_ (got "pg_x")',
                "flow-nexus:database.migrations[0].sql must not be empty",
                'flow-nexus:realtime.events[0] must be one of INSERT, UPDATE, DELETE, * (got "SELECT")',
            ],
        );
    });

    it("puts every service on local unless flow-nexus:backends says cloud", function () {
        const config = platformConfig({ backends: { sandbox: "cloud" } }, { passwordSet: true, migrations });
        assert.deepEqual(config.backends, { auth: "local", sandbox: "cloud", storage: "local", database: "local", payments: "local" });
        assert.deepEqual(problemsOf({ backends: { sandbox: "aws", queue: "cloud" } }), [
            'flow-nexus:backends.sandbox must be one of local, cloud (got "aws")',
            "flow-nexus:backends.queue is not a setting (the settings are auth, sandbox, storage, database, payments)",
        ]);
    });

    it("requires the password, as a secret", function () {
        assert.deepEqual(problemsOf({}, false), [
            "flow-nexus:password must be set, as a secret: pulumi config set --secret flow-nexus:password <12 to 72 characters>",
        ]);
    });
});

describe("unit: the shape of the stack's config", function () {
    const OTHERS = ["password", "e2bApiKey"];
    /** What preview says of a stack's flow-nexus:* keys, as the program reads them. */
    const problems = (config: Record<string, unknown>) => {
        const sections = Object.fromEntries(SECTION_NAMES.map((s) => [s, config[`flow-nexus:${s}`]]));
        let found = namespaceProblems(Object.keys(config), OTHERS);
        try {
            platformConfig(sections, { passwordSet: true, migrations });
        } catch (err) {
            found = [...found, ...(err as ConfigError).problems];
        }
        return found;
    };

    it("names a key that is not a setting, at any level, with the setting it is nearest to", function () {
        assert.deepEqual(
            problems({
                "flow-nexus:sandbox": { tiemoutSeconds: 600, envs: { ANY_NAME: "is the user's own" } },
                "flow-nexus:databse": { schema: "app" },
                "flow-nexus:monitoring": { alerts: [{ type: "webhook", url: "https://example.com", ulr: "https://example.com" }] },
                "flow-nexus:app": { zzz: 1 },
            }),
            [
                "flow-nexus:databse is not a setting (did you mean database?)",
                "flow-nexus:sandbox.tiemoutSeconds is not a setting (did you mean timeoutSeconds?)",
                "flow-nexus:app.zzz is not a setting (the settings are template, directory, env, installCommand, startCommand, port, healthPath, healthTimeoutSeconds)",
                "flow-nexus:monitoring.alerts[0].ulr is not a setting (did you mean url?)",
            ],
        );
    });

    it("refuses a null instead of taking the default, and a section of the wrong kind", function () {
        assert.deepEqual(
            problems({
                "flow-nexus:sandbox": { timeoutSeconds: null, envs: { A: null } },
                "flow-nexus:storage": "platform-assets",
                "flow-nexus:database": { migrations: { id: "001" } },
            }),
            [
                "flow-nexus:sandbox.timeoutSeconds is null: set a value, or remove the key to use its default",
                "flow-nexus:sandbox.envs.A is null: set a value, or remove the key to use its default",
                "flow-nexus:storage must be an object with the settings bucket, public, fileSizeLimit, allowedMimeTypes, forceDestroy (got a string)",
                'flow-nexus:database.migrations must be a list (got {"id":"001"})',
            ],
        );
    });

    it("passes the dev stack's config and the plain keys", function () {
        const dev = load(readFileSync(path.join(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
        assert.deepEqual(problems({ ...dev.config, "flow-nexus:e2bApiKey": "e2b_x" }), []);
        assert.deepEqual(problems({ "flow-nexus:billing": { monthlyLimitUsd: null } }), [], "null is no limit there (the policy pack refuses it)");
    });

    it("names an app directory that is not there by its key", function () {
        assert.deepEqual(problemsOf({ app: { directory: "no/such/app" } }), [
            `flow-nexus:app.directory must be an existing directory (got "no/such/app", which is ${path.resolve("no/such/app")})`,
        ]);
    });

    it("names two migrations with one id at preview, before anything runs", function () {
        assert.deepEqual(problemsOf({ database: { migrations: [{ id: "001", sql: "select 1" }, { id: "001", sql: "select 2" }] } }), [
            "flow-nexus:database.migrations has two migrations with id 001: ids must be unique",
        ]);
    });
});
