/** `flow-nexus docs`: the platform's documents, rendered from the live stack outputs. */
import { promises as fs } from "fs";
import * as path from "path";
import type { Command } from "../context";
import { renderDocs } from "../docs/render";

export const docs: Command = {
    name: "docs",
    summary: "render AUTHENTICATION, ARCHITECTURE, DEPLOYMENT, OPERATIONS and BILLING.md from the stack's outputs",
    options: {
        out: { type: "string", short: "o", value: "<dir>", description: "the folder to write them to (default: platform/docs in the current directory)" },
    },
    details: "Works for any backend: it reads only the outputs. Each document ends with the outputs it was rendered from, as JSON.",

    async run(ctx) {
        const outputs = await ctx.outputs();
        const dir = path.resolve(ctx.string("out") ?? path.join("platform", "docs"));
        const documents = renderDocs(outputs, ctx.stack);
        await fs.mkdir(dir, { recursive: true });
        const written: string[] = [];
        for (const [name, markdown] of Object.entries(documents)) {
            const file = path.join(dir, name);
            await fs.writeFile(file, markdown);
            written.push(file);
        }
        ctx.out.data({ stack: ctx.stack, dir, files: written });
        ctx.out.text(written.map((f) => `wrote ${f}`).join("\n"));
        return 0;
    },
};
