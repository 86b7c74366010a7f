/**
 * Contract: the Stripe backend against stripe-mock, Stripe's own mock, which
 * validates every request against Stripe's OpenAPI spec. The real `stripe`
 * SDK with its default Node HTTP client (no fetch swapped in) reaches it
 * through `flow-nexus:stripeApiBase`, as a user's stack would; a recording
 * proxy in between sees every answer, and any request stripe-mock rejects
 * fails the test. stripe-mock keeps no state (it answers with fixtures), so
 * this proves what Stripe accepts, not what it then does: ./stripe.test.ts
 * covers the behaviour with a stateful fake.
 *
 * stripe-mock is installed with `go install` at a pinned version into
 * .flow-nexus/tools when it is not on PATH. Its bundled spec may be older
 * than the SDK's API version (stripe 23 pins 2025-11-17.clover); a request
 * field newer than the spec would be rejected here, and so would show.
 */
import { strict as assert } from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import { existsSync } from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { promisify } from "util";
import { runRefill } from "../../providers/billing/refill";
import { Inputs, Outputs, provider } from "../../providers/billing/resource";
import { startPaymentMethodSetup, stripePayments } from "../../providers/billing/stripe";
import { setCredentials } from "../../providers/runtime/credentials";
import { allocatePorts, isListening } from "../../providers/runtime/ports";
import { waitUntil } from "../../providers/runtime/process";
import { checked, CLOUD, cloudDatabase, engine, stackConfig, tagsOf } from "./support";

const STRIPE_MOCK = "github.com/stripe/stripe-mock@v0.203.0";
const TOOLS = path.resolve(__dirname, "..", "..", ".flow-nexus", "tools");

/** stripe-mock from PATH, or the pinned version installed into .flow-nexus/tools. */
async function stripeMockBinary(): Promise<string> {
    const onPath = (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "stripe-mock")).find((file) => existsSync(file));
    if (onPath) return onPath;
    const installed = path.join(TOOLS, "stripe-mock");
    if (!existsSync(installed)) await promisify(execFile)("go", ["install", STRIPE_MOCK], { env: { ...process.env, GOBIN: TOOLS }, timeout: 300_000 });
    return installed;
}

interface Answer {
    method: string;
    path: string;
    status: number;
    body: string;
}

/** A proxy that forwards to `target` and records every answer. */
function recordingProxy(target: number, answers: Answer[]): http.Server {
    return http.createServer((req, res) => {
        const forward = http.request({ host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers }, (upstream) => {
            const chunks: Buffer[] = [];
            upstream.on("data", (c: Buffer) => chunks.push(c));
            upstream.on("end", () => {
                const body = Buffer.concat(chunks);
                answers.push({ method: req.method ?? "", path: (req.url ?? "").split("?")[0], status: upstream.statusCode ?? 0, body: body.toString("utf8") });
                res.writeHead(upstream.statusCode ?? 502, upstream.headers);
                res.end(body);
            });
        });
        forward.on("error", (err) => res.writeHead(502).end(err.message));
        req.pipe(forward);
    });
}

describe("contract: Stripe against stripe-mock (Stripe's OpenAPI spec)", function () {
    this.timeout(360_000);
    const refills = engine<Inputs, Outputs>(provider);
    const answers: Answer[] = [];
    let mock: ChildProcess;
    let proxy: http.Server;
    let db: Awaited<ReturnType<typeof cloudDatabase>>;

    before(async function () {
        const [httpPort, httpsPort] = await allocatePorts(2);
        // Both listeners on loopback: stripe-mock binds every interface otherwise.
        mock = spawn(await stripeMockBinary(), ["-http-addr", `127.0.0.1:${httpPort}`, "-https-addr", `127.0.0.1:${httpsPort}`], { stdio: "ignore" });
        assert.ok(await waitUntil(() => isListening(httpPort), 30_000), "stripe-mock listens");
        proxy = recordingProxy(httpPort, answers);
        await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
        db = await cloudDatabase();
        const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
        await refills.configure(stackConfig({ stripeSecretKey: "sk_test_123", stripeApiBase: base, databaseUrl: db.url }));
    });

    after(async function () {
        setCredentials({});
        mock?.kill();
        await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
        await db?.stop();
    });

    it("every request of an AutoRefill's life is accepted: customer, payment setup, off-session refill, history, read, delete", async function () {
        const inputs = await checked(refills, {
            account: "acct-stripe-mock",
            thresholdCredits: 100,
            refillAmountUsd: 10,
            monthlyLimitUsd: 50,
            backend: CLOUD,
            tags: tagsOf("AutoRefill", "stripe-mock"),
        } as Inputs);
        const { outs } = await refills.create(inputs);
        assert.match(outs!.customerId!, /^cus_/, "a customer from Stripe's fixtures");
        await startPaymentMethodSetup(CLOUD, outs!.account);
        await runRefill(CLOUD, outs!.account);
        await stripePayments(outs!.account, { db: CLOUD });
        await refills.read(outs!.account, outs!);
        await refills.delete(outs!.account, outs!);

        const rejected = answers.filter((a) => a.status >= 400);
        assert.deepEqual(rejected.map((a) => `${a.method} ${a.path} ${a.status}: ${a.body.slice(0, 300)}`), [], "stripe-mock rejected no request");
        const sent = new Set(answers.map((a) => `${a.method} ${a.path.replace(/\/(cus|pm|pi|seti)_\w+/g, "/$1_…")}`));
        for (const expected of ["POST /v1/customers", "POST /v1/setup_intents", "POST /v1/payment_intents", "GET /v1/payment_intents"]) {
            assert.ok(sent.has(expected), `${expected} was sent (sent: ${[...sent].join(", ")})`);
        }
    });
});
