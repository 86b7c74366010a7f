/**
 * E2B as its SDK sees it, in memory: the control-plane API (create, get,
 * list by metadata, timeout, connect, pause, kill) and each sandbox's envd
 * (file upload and download, and the Connect-protocol `process.Process/Start`
 * stream that runs commands). Commands are answered by a small shell
 * emulation that a test can override per command, and every request is
 * recorded by the underlying FakeHttp.
 */
import { FakeHttp, json, Recorded } from "./fake-http";

export interface FakeSandbox {
    sandboxID: string;
    templateID: string;
    metadata: Record<string, string>;
    envVars: Record<string, string>;
    startedAt: string;
    endAt: string;
    state: "running" | "paused";
    onTimeout: "kill" | "pause";
    files: Map<string, Buffer>;
    /** The pids of the background processes alive in it. */
    running: Set<number>;
}

/** A command as envd received it. */
export interface Command {
    sandboxId: string;
    /** What `bash -l -c` runs. */
    script: string;
    envs: Record<string, string>;
    cwd?: string;
    pid: number;
}

export interface CommandResult {
    exitCode?: number;
    stdout?: string;
    stderr?: string;
}

/** The domain sandboxes' hosts are under (`<port>-<id>.<domain>`). */
export const DOMAIN = "e2b.test";

/** The 5-byte envelope of the Connect streaming protocol: flags, then the length, then the JSON. */
function envelope(flags: number, value: unknown): Buffer {
    const payload = Buffer.from(JSON.stringify(value));
    const head = Buffer.alloc(5);
    head.writeUInt8(flags, 0);
    head.writeUInt32BE(payload.length, 1);
    return Buffer.concat([head, payload]);
}

function unenvelope(body: Buffer): any {
    return JSON.parse(body.subarray(5, 5 + body.readUInt32BE(1)).toString("utf8"));
}

export class FakeE2B {
    readonly http = new FakeHttp();
    readonly sandboxes = new Map<string, FakeSandbox>();
    readonly commands: Command[] = [];
    private overrides: Array<{ pattern: RegExp; answer: (command: Command) => CommandResult }> = [];
    private nextId = 1;
    private nextPid = 100;
    origin = "";
    /**
     * The team's plan limit on a sandbox's running time: 1 h on Hobby (Base), 24 h on Pro (E2B's
     * docs, "Sandbox lifecycle"). A longer timeout on create, set-timeout or connect is refused
     * with 400 "Timeout cannot be greater than N hours", as E2B's API answers it.
     */
    maxTimeoutHours = 24;

    private overLimit(timeout: number | undefined): Response | undefined {
        if (timeout === undefined || timeout <= this.maxTimeoutHours * 3600) return undefined;
        return json(400, { code: 400, message: `Timeout cannot be greater than ${this.maxTimeoutHours} hours` });
    }

    constructor() {
        const h = this.http;
        h.on("POST", /^\/v2\/sandboxes$/, (req) => this.create(req));
        h.on("GET", /^\/sandboxes\/([^/]+)$/, (_req, m) => this.withSandbox(m[1], (s) => json(200, this.detail(s))));
        h.on("GET", /^\/v2\/sandboxes$/, (req) => json(200, this.list(req)));
        h.on("POST", /^\/sandboxes\/([^/]+)\/timeout$/, (req, m) =>
            this.withSandbox(m[1], (s) => {
                const refused = this.overLimit(req.json().timeout);
                if (refused) return refused;
                s.endAt = new Date(Date.now() + req.json().timeout * 1000).toISOString();
                return new Response(null, { status: 204 });
            }),
        );
        h.on("POST", /^\/v2\/sandboxes\/([^/]+)\/connect$/, (req, m) =>
            this.withSandbox(m[1], (s) => {
                const { timeout } = req.body.length ? req.json() : { timeout: undefined };
                const refused = this.overLimit(timeout);
                if (refused) return refused;
                s.state = "running";
                if (timeout !== undefined) s.endAt = new Date(Date.now() + timeout * 1000).toISOString();
                return json(200, this.summary(s));
            }),
        );
        h.on("POST", /^\/sandboxes\/([^/]+)\/pause$/, (_req, m) =>
            this.withSandbox(m[1], (s) => {
                s.state = "paused";
                return new Response(null, { status: 204 });
            }),
        );
        h.on("DELETE", /^\/sandboxes\/([^/]+)$/, (_req, m) =>
            this.withSandbox(m[1], (s) => {
                this.sandboxes.delete(s.sandboxID);
                return new Response(null, { status: 204 });
            }),
        );
        // envd: every request names its sandbox in a header.
        h.on("GET", /^\/health$/, () => new Response(null, { status: 204 }));
        h.on("POST", /^\/files$/, (req) => this.inSandbox(req, (s) => this.upload(s, req)));
        h.on("GET", /^\/files$/, (req) =>
            this.inSandbox(req, (s) => {
                const data = s.files.get(req.url.searchParams.get("path")!);
                return data ? new Response(new Uint8Array(data), { status: 200, headers: { "content-type": "application/octet-stream" } }) : json(404, { code: 404, message: "file not found" });
            }),
        );
        h.on("POST", /^\/process\.Process\/Start$/, (req) => this.inSandbox(req, (s) => this.start(s, req)));
    }

    /** Starts the loopback server; the SDK is pointed at it for both the API and the sandboxes. */
    async listen(): Promise<{ apiUrl: string; sandboxUrl: string; domain: string }> {
        this.origin = await this.http.listen();
        return { apiUrl: this.origin, sandboxUrl: this.origin, domain: DOMAIN };
    }

    close(): Promise<void> {
        return this.http.close();
    }

    /** Answers commands matching `pattern` with `answer` (over the shell emulation); the latest override wins. */
    onCommand(pattern: RegExp, answer: (command: Command) => CommandResult): this {
        this.overrides.unshift({ pattern, answer });
        return this;
    }

    /** A sandbox made out of band (another run, another tool). */
    add(partial: Partial<FakeSandbox> & { metadata: Record<string, string> }): FakeSandbox {
        const sandbox: FakeSandbox = {
            sandboxID: `sbx${this.nextId++}`,
            templateID: "node",
            envVars: {},
            startedAt: new Date().toISOString(),
            endAt: new Date(Date.now() + 3_600_000).toISOString(),
            state: "running",
            onTimeout: "kill",
            files: new Map(),
            running: new Set(),
            ...partial,
        };
        this.sandboxes.set(sandbox.sandboxID, sandbox);
        return sandbox;
    }

    private withSandbox(id: string, fn: (s: FakeSandbox) => Response): Response {
        const sandbox = this.sandboxes.get(id);
        return sandbox ? fn(sandbox) : json(404, { code: 404, message: `sandbox "${id}" doesn't exist or you don't have access to it` });
    }

    private inSandbox(req: Recorded, fn: (s: FakeSandbox) => Response | Promise<Response>): Response | Promise<Response> {
        const sandbox = this.sandboxes.get(req.headers.get("e2b-sandbox-id") ?? "");
        // A sandbox that is gone does not answer: E2B's proxy says 502.
        if (!sandbox || sandbox.state !== "running") return json(502, { message: "The sandbox was not found", sandboxId: req.headers.get("e2b-sandbox-id"), code: 502 });
        return fn(sandbox);
    }

    private summary(s: FakeSandbox) {
        return { sandboxID: s.sandboxID, templateID: s.templateID, clientID: "client", envdVersion: "0.5.8", envdAccessToken: "envd-token", domain: DOMAIN };
    }

    private detail(s: FakeSandbox) {
        return {
            ...this.summary(s),
            alias: s.templateID,
            metadata: s.metadata,
            startedAt: s.startedAt,
            endAt: s.endAt,
            state: s.state,
            cpuCount: 2,
            memoryMB: 512,
            diskSizeMB: 1024,
            lifecycle: { onTimeout: s.onTimeout, autoResume: false },
        };
    }

    private create(req: Recorded): Response {
        const body = req.json();
        const refused = this.overLimit(body.timeout);
        if (refused) return refused;
        const sandbox = this.add({
            templateID: body.templateID,
            metadata: body.metadata ?? {},
            envVars: body.envVars ?? {},
            endAt: new Date(Date.now() + (body.timeout ?? 300) * 1000).toISOString(),
            onTimeout: body.autoPause ? "pause" : "kill",
        });
        return json(201, this.summary(sandbox));
    }

    private list(req: Recorded) {
        // The SDK sends metadata as one `k=v&k=v` parameter whose keys and values it encoded
        // first (encodeURIComponent, then URLSearchParams): the third decoding is the API's own.
        const pairs = [...new URLSearchParams(req.url.searchParams.get("metadata") ?? "")].map(([k, v]) => [decodeURIComponent(k), decodeURIComponent(v)]);
        const wanted = new Map(pairs as Array<[string, string]>);
        const states = req.url.searchParams.get("state")?.split(",");
        return [...this.sandboxes.values()]
            .filter((s) => [...wanted].every(([k, v]) => s.metadata[k] === v) && (!states || states.includes(s.state)))
            .map((s) => this.detail(s));
    }

    private async upload(sandbox: FakeSandbox, req: Recorded): Promise<Response> {
        const form = await new Response(new Uint8Array(req.body), { headers: { "content-type": req.headers.get("content-type")! } }).formData();
        const written: Array<{ name: string; type: string; path: string }> = [];
        for (const value of form.getAll("file")) {
            const file = value as File;
            sandbox.files.set(file.name, Buffer.from(await file.arrayBuffer()));
            written.push({ name: file.name.split("/").pop()!, type: "file", path: file.name });
        }
        return json(200, written);
    }

    private start(sandbox: FakeSandbox, req: Recorded): Response {
        const message = unenvelope(req.body);
        const command: Command = {
            sandboxId: sandbox.sandboxID,
            script: message.process.args[2],
            envs: message.process.envs ?? {},
            cwd: message.process.cwd,
            pid: this.nextPid++,
        };
        this.commands.push(command);
        const override = this.overrides.find((o) => o.pattern.test(command.script));
        const result = override ? override.answer(command) : this.shell(sandbox, command);
        const frames = [envelope(0, { event: { start: { pid: command.pid } } })];
        if (result.stdout) frames.push(envelope(0, { event: { data: { stdout: Buffer.from(result.stdout).toString("base64") } } }));
        if (result.stderr) frames.push(envelope(0, { event: { data: { stderr: Buffer.from(result.stderr).toString("base64") } } }));
        const exitCode = result.exitCode ?? 0;
        frames.push(envelope(0, { event: { end: { exitCode, exited: true, status: `exit status ${exitCode}` } } }));
        frames.push(envelope(2, {}));
        return new Response(Buffer.concat(frames), { status: 200, headers: { "content-type": "application/connect+json" } });
    }

    /**
     * Just enough of a shell for what the backends run: starts, process
     * checks, file removal, an app folder's clearing and the templates' npm
     * install. envd runs each command as `/bin/bash -l -c <cmd>` (the SDK's
     * commands.run), so anything else is bash's: exit 127 and "command not
     * found", which the SDK raises as a CommandExitError (its docs: "If the
     * command exits with a non-zero exit code, it throws a
     * CommandExitError"). A test that needs another command answers it with
     * onCommand.
     */
    private shell(sandbox: FakeSandbox, command: Command): CommandResult {
        const script = command.script;
        if (/^exec /.test(script)) {
            // A background start: the process lives until it is stopped.
            sandbox.running.add(command.pid);
            const watchdog = /exec node watchdog\.js (\S+)/.exec(script);
            if (watchdog) sandbox.files.set(`${watchdog[1]}/watchdog.pid`, Buffer.from(String(command.pid)));
            return {};
        }
        if (script.startsWith("tree()")) {
            const pid = Number(/pids=\$\(tree (\d+)\)/.exec(script)![1]);
            sandbox.running.delete(pid);
            return {};
        }
        const alive = /^kill -(?:0|HUP) (\d+)/.exec(script);
        if (alive) return { exitCode: sandbox.running.has(Number(alive[1])) ? 0 : 1 };
        const marker = /date -u \+%FT%TZ > (\S+)$/.exec(script);
        if (marker) {
            sandbox.files.set(marker[1], Buffer.from(new Date().toISOString()));
            return { exitCode: 0 };
        }
        const removal = /^rm -(?:r?f) (.+)$/.exec(script);
        if (removal) {
            for (const word of removal[1].split(" ")) {
                const target = word.replace(/^'|'$/g, "");
                for (const path of [...sandbox.files.keys()]) if (path === target || path.startsWith(`${target}/`)) sandbox.files.delete(path);
            }
            return { exitCode: 0 };
        }
        const cleared = /^mkdir -p '([^']+)' .* && find '\1' -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf \{\} \+$/.exec(script);
        if (cleared) {
            for (const path of [...sandbox.files.keys()]) if (path.startsWith(`${cleared[1]}/`) && !path.startsWith(`${cleared[1]}/node_modules/`)) sandbox.files.delete(path);
            return { exitCode: 0 };
        }
        // `{ <install command>\n} >> <log> 2>&1`: the templates' npm install succeeds; what it prints goes to the log.
        const logged = /^\{ ([^\n]*)\n\} >> '?([^'\s]+)'? 2>&1$/.exec(script);
        const append = (file: string, text: string) => sandbox.files.set(file, Buffer.concat([sandbox.files.get(file) ?? Buffer.alloc(0), Buffer.from(text)]));
        if (logged && /^npm install --omit=dev\b/.test(logged[1])) {
            append(logged[2], "\nup to date in 1s\n");
            return { exitCode: 0 };
        }
        const notFound = `bash: line 1: ${(logged?.[1] ?? script).trim().split(/\s/)[0]}: command not found\n`;
        if (logged) {
            append(logged[2], notFound);
            return { exitCode: 127 };
        }
        return { exitCode: 127, stderr: notFound };
    }
}
