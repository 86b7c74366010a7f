import { strict as assert } from "assert";
import { ConfigError, defaultMigrations, platformConfig } from "../../stacks/config";

const migrations = () => [{ id: "001", sql: "create table t (id int)" }];

function problemsOf(raw: object, passwordSet = true): string[] {
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
        assert.deepEqual(config.realtime, { table: "messages", events: ["*"], filter: undefined });
    });

    it("reads the dev stack's migrations from stacks/migrations in name order", function () {
        assert.deepEqual(
            defaultMigrations().map((m) => m.id),
            ["001_init", "002_usage"],
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
                'flow-nexus:database.schema must be a Postgres identifier: up to 63 lowercase letters, digits or underscores, not starting with a digit or pg_, and not flow_nexus or information_schema (got "pg_x")',
                "flow-nexus:database.migrations [0] (1) sql must not be empty",
                'flow-nexus:realtime.events [0] must be one of INSERT, UPDATE, DELETE, * (got "SELECT")',
            ],
        );
    });

    it("puts every service on local unless flow-nexus:backends says cloud", function () {
        const config = platformConfig({ backends: { sandbox: "cloud" } }, { passwordSet: true, migrations });
        assert.deepEqual(config.backends, { auth: "local", sandbox: "cloud", storage: "local", database: "local", payments: "local" });
        assert.deepEqual(problemsOf({ backends: { sandbox: "aws", queue: "cloud" } }), [
            'flow-nexus:backends.sandbox must be one of local, cloud (got "aws")',
            "flow-nexus:backends.queue is not a service: the services are auth, sandbox, storage, database, payments",
        ]);
    });

    it("requires the password, as a secret", function () {
        assert.deepEqual(problemsOf({}, false), [
            "flow-nexus:password must be set, as a secret: pulumi config set --secret flow-nexus:password <12 to 72 characters>",
        ]);
    });
});
