/**
 * The dev stack's app, `templates/realtime-notes`, in a real browser: headless
 * Chromium (Debian's, driven by playwright-core) against the app a real stack
 * deployed, linked to the stack's gateway. Two tabs of one browser, as a user
 * opens them: a note added in one appears in the other, live; an attached
 * file downloads back with its bytes. Screenshots go to test/output/.
 */
import { strict as assert } from "assert";
import { promises as fs } from "fs";
import * as path from "path";
import { Browser, chromium, Page } from "playwright-core";
import { chromiumPath, PROJECT_DIR, SCREENSHOTS, TestStack } from "./harness";

const PASSWORD = "e2e-password-for-the-notes-app";

describe("the realtime-notes app in a real browser, on a real dev stack", function () {
    let stack: TestStack;
    let browser: Browser;
    let url: string;
    let email: string;

    before(async function () {
        stack = await TestStack.create(PROJECT_DIR, {
            secrets: { "flow-nexus:password": PASSWORD },
            config: { "flow-nexus:app.template": "realtime-notes", "flow-nexus:realtime.table": "notes" },
        });
        await stack.up();
        const outputs = await stack.outputs();
        url = outputs.app.url;
        email = outputs.userProfile.email;
        browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
        await fs.mkdir(SCREENSHOTS, { recursive: true });
    });
    after(async function () {
        await browser?.close();
        await stack?.dispose();
    });

    /** A tab on the app; errors on the page fail the test. */
    async function open(context: Awaited<ReturnType<Browser["newContext"]>>, errors: string[]): Promise<Page> {
        const page = await context.newPage();
        page.on("pageerror", (err) => errors.push(err.message));
        await page.goto(url);
        return page;
    }

    it("signs in, adds a note in one tab that appears live in the other, and downloads its attachment back", async function () {
        const context = await browser.newContext({ acceptDownloads: true });
        const errors: string[] = [];
        const first = await open(context, errors);
        await first.getByLabel("Email").fill(email);
        await first.getByLabel("Password").fill(PASSWORD);
        await first.getByRole("button", { name: "Sign in" }).click();
        await first.locator("#live.on").waitFor({ timeout: 15_000 });
        // The second tab shares the session, as tabs do.
        const second = await open(context, errors);
        await second.locator("#live.on").waitFor({ timeout: 15_000 });

        const bytes = Buffer.from(`attached at ${new Date().toISOString()}\n`);
        await first.getByLabel("Note", { exact: true }).fill("hello from the first tab");
        await first.getByLabel("Attachment (optional)").setInputFiles({ name: "hello.txt", mimeType: "text/plain", buffer: bytes });
        await first.getByRole("button", { name: "Add note" }).click();
        await second.getByText("hello from the first tab").waitFor({ timeout: 5000 });

        const [download] = await Promise.all([second.waitForEvent("download"), second.getByRole("link", { name: "Download hello.txt" }).click()]);
        assert.equal(download.suggestedFilename(), "hello.txt");
        assert.deepEqual(await fs.readFile((await download.path())!), bytes, "the same bytes come back");
        await first.screenshot({ path: path.join(SCREENSHOTS, "realtime-notes-first-tab.png"), fullPage: true });
        await second.screenshot({ path: path.join(SCREENSHOTS, "realtime-notes-second-tab.png"), fullPage: true });
        assert.deepEqual(errors, [], "no error on either page");
        await context.close();
    });

    it("a wrong password is refused on the page with Supabase's message", async function () {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(url);
        await page.getByLabel("Email").fill(email);
        await page.getByLabel("Password").fill("not-the-password");
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByText("Could not sign in: Invalid login credentials").waitFor({ timeout: 5000 });
        await context.close();
    });
});
