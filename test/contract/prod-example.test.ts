/**
 * The example production stack (Pulumi.prod.example.yaml) stays true: its
 * values pass the stack's own config validation, every service is on its
 * cloud backend, every credential key is there (the secret ones only as the
 * `pulumi config set --secret` command, never as a value).
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as path from "path";
import { CREDENTIALS, CredentialName } from "../../providers/runtime/credentials";
import { platformConfig, RawConfig } from "../../stacks/config";

describe("contract: Pulumi.prod.example.yaml", function () {
    let text: string;
    let config: Record<string, unknown>;

    before(async function () {
        text = await fs.readFile(path.resolve(__dirname, "../../Pulumi.prod.example.yaml"), "utf8");
        // js-yaml comes with @pulumi/pulumi, which reads stack files with it.
        const yaml = require("js-yaml") as { load(text: string): { config: Record<string, unknown> } };
        config = yaml.load(text).config;
    });

    it("puts every service on its cloud backend", function () {
        assert.deepEqual(config["flow-nexus:backends"], { auth: "cloud", sandbox: "cloud", storage: "cloud", database: "cloud", payments: "cloud" });
    });

    it("names every credential: secrets as the command that encrypts them, never as plain values", function () {
        for (const name of Object.keys(CREDENTIALS) as CredentialName[]) {
            const { key, secret, optional } = CREDENTIALS[name] as { key: string; secret: boolean; optional?: true };
            if (optional) {
                assert.ok(text.includes(key), `${key} is explained, though optional`);
            } else if (secret) {
                assert.ok(text.includes(`pulumi config set --secret ${key} `), `${key} is shown as a --secret command`);
                assert.equal(config[key], undefined, `${key} has no plain value`);
            } else {
                assert.match(String(config[key]), /^https:\/\//, `${key} is set`);
            }
        }
        assert.doesNotMatch(text, /secure:/, "no encrypted values: they would need this stack's secrets provider");
    });

    it("passes the stack's config validation", function () {
        const sections = Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("flow-nexus:")).map(([k, v]) => [k.slice("flow-nexus:".length), v]));
        assert.doesNotThrow(() => platformConfig(sections as RawConfig, { passwordSet: true }));
    });
});
