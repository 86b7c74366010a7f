/** Loopback ports for the local backends: allocating free ones, and asking whether one listens. */
import * as net from "net";

/**
 * Allocates `count` distinct loopback ports that are free now and not in
 * `exclude` (ports already handed to someone else who may not listen yet).
 */
export async function allocatePorts(count: number, exclude: ReadonlySet<number> = new Set()): Promise<number[]> {
    const servers: net.Server[] = [];
    const ports: number[] = [];
    try {
        // All held open together, so the kernel cannot hand out the same port twice.
        for (let attempts = 0; ports.length < count; attempts++) {
            if (attempts > count + 100) throw new Error(`could not find ${count} free loopback ports`);
            const server = net.createServer();
            servers.push(server);
            await new Promise<void>((resolve, reject) => {
                server.once("error", reject);
                server.listen(0, "127.0.0.1", () => resolve());
            });
            const port = (server.address() as net.AddressInfo).port;
            if (!exclude.has(port)) ports.push(port);
        }
        return ports;
    } finally {
        await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
}

/** Whether something accepts TCP connections on `port` of `host`. */
export function isListening(port: number, host = "127.0.0.1"): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ port, host });
        socket.setTimeout(1000);
        const done = (listening: boolean) => {
            socket.destroy();
            resolve(listening);
        };
        socket.once("connect", () => done(true));
        socket.once("error", () => done(false));
        socket.once("timeout", () => done(false));
    });
}
