/**
 * Stripe as its SDK sees it, in memory: customers (with metadata search),
 * saved card payment methods, SetupIntents and PaymentIntents, served
 * through a FakeHttp `fetch`. Like Stripe, a repeated idempotency key
 * replays the first answer; errors come in Stripe's `{ error: {...} }` body.
 */
import { FakeHttp, json, Recorded } from "./fake-http";

export interface FakeCustomer {
    id: string;
    object: "customer";
    metadata: Record<string, string>;
    invoice_settings: { default_payment_method: string | null };
    deleted?: boolean;
}

/** What the next PaymentIntent confirmation does. */
export type Outcome = "succeeded" | "card_declined" | "authentication_required";

/** A Stripe error body, as the API sends it. */
export function stripeError(status: number, error: Record<string, unknown>): Response {
    return json(status, { error }, { "request-id": "req_fake" });
}

export class FakeStripe {
    readonly http = new FakeHttp();
    readonly customers = new Map<string, FakeCustomer>();
    /** Saved cards by customer. */
    readonly cards = new Map<string, string[]>();
    readonly intents: any[] = [];
    /** The outcome of the next confirmations, in order; afterwards they succeed. */
    outcomes: Outcome[] = [];
    private replies = new Map<string, { status: number; body: string }>();
    private next = 1;

    constructor() {
        const h = this.http;
        h.on("POST", /^\/v1\/customers$/, (req) =>
            this.idempotent(req, () => {
                const metadata = this.bracketed(req.form(), "metadata");
                const customer: FakeCustomer = { id: `cus_${this.next++}`, object: "customer", metadata, invoice_settings: { default_payment_method: null } };
                this.customers.set(customer.id, customer);
                return json(200, customer);
            }),
        );
        h.on("GET", /^\/v1\/customers\/([^/]+)$/, (_req, m) => {
            const customer = this.customers.get(m[1]);
            if (!customer) return stripeError(404, { type: "invalid_request_error", code: "resource_missing", message: `No such customer: '${m[1]}'`, param: "id" });
            if (customer.deleted) return json(200, { id: customer.id, object: "customer", deleted: true });
            return json(200, customer);
        });
        // After the route by id: later routes win, and "search" is no customer id.
        h.on("GET", /^\/v1\/customers\/search$/, (req) => {
            const match = /metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'/.exec(req.url.searchParams.get("query") ?? "");
            const data = [...this.customers.values()].filter((c) => !c.deleted && match && c.metadata[match[1]] === match[2].replace(/\\(.)/g, "$1"));
            return json(200, { object: "search_result", data, has_more: false, next_page: null, url: "/v1/customers/search" });
        });
        h.on("GET", /^\/v1\/payment_methods$/, (req) => {
            const cards = this.cards.get(req.url.searchParams.get("customer") ?? "") ?? [];
            return json(200, { object: "list", data: cards.map((id) => ({ id, object: "payment_method", type: "card" })), has_more: false, url: "/v1/payment_methods" });
        });
        h.on("POST", /^\/v1\/setup_intents$/, (req) =>
            this.idempotent(req, () => json(200, { id: `seti_${this.next}`, object: "setup_intent", client_secret: `seti_${this.next++}_secret_x`, usage: req.form().get("usage") })),
        );
        h.on("POST", /^\/v1\/payment_intents$/, (req) => this.idempotent(req, () => this.confirm(req)));
        h.on("GET", /^\/v1\/payment_intents$/, (req) => {
            const data = this.intents.filter((pi) => pi.customer === req.url.searchParams.get("customer")).slice().reverse();
            return json(200, { object: "list", data, has_more: false, url: "/v1/payment_intents" });
        });
    }

    /** A customer with a saved card, as after a completed SetupIntent. */
    saveCard(customerId: string, card = `pm_card_${this.next++}`): string {
        this.cards.set(customerId, [...(this.cards.get(customerId) ?? []), card]);
        return card;
    }

    calls(method: string, path: RegExp): Recorded[] {
        return this.http.calls(method, path);
    }

    /** `metadata[k]=v` form fields as an object. */
    private bracketed(form: URLSearchParams, name: string): Record<string, string> {
        const out: Record<string, string> = {};
        for (const [key, value] of form) {
            const m = new RegExp(`^${name}\\[(.+)\\]$`).exec(key);
            if (m) out[m[1]] = value;
        }
        return out;
    }

    /** Stripe replays the first answer to a repeated idempotency key. */
    private async idempotent(req: Recorded, reply: () => Response): Promise<Response> {
        const key = req.headers.get("idempotency-key");
        const known = key ? this.replies.get(key) : undefined;
        if (known) return new Response(known.body, { status: known.status, headers: { "content-type": "application/json", "idempotent-replayed": "true" } });
        const response = reply();
        const body = await response.text();
        if (key) this.replies.set(key, { status: response.status, body });
        return new Response(body, { status: response.status, headers: { "content-type": "application/json" } });
    }

    private confirm(req: Recorded): Response {
        const form = req.form();
        // As Stripe (API 2023-08-16 and later): automatic payment methods are on by default, and a confirmation
        // that could redirect needs a return_url, unless redirects are refused or the method types are named.
        const mayRedirect =
            form.get("confirm") === "true" && !form.get("return_url") && !form.get("payment_method_types[0]") && form.get("automatic_payment_methods[allow_redirects]") !== "never";
        if (mayRedirect) {
            return stripeError(400, {
                type: "invalid_request_error",
                message:
                    "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
            });
        }
        const outcome = this.outcomes.shift() ?? "succeeded";
        const intent = {
            id: `pi_${this.next++}`,
            object: "payment_intent",
            amount: Number(form.get("amount")),
            currency: form.get("currency"),
            customer: form.get("customer"),
            payment_method: form.get("payment_method"),
            created: Math.floor(Date.now() / 1000),
            metadata: this.bracketed(form, "metadata"),
            status: outcome === "succeeded" ? "succeeded" : outcome === "authentication_required" ? "requires_action" : "requires_payment_method",
            last_payment_error: outcome === "card_declined" ? { message: "Your card has insufficient funds." } : null,
        };
        this.intents.push(intent);
        if (outcome === "succeeded") return json(200, intent);
        const error =
            outcome === "card_declined"
                ? { type: "card_error", code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." }
                : { type: "card_error", code: "authentication_required", message: "This payment requires authentication." };
        return stripeError(402, { ...error, payment_intent: intent });
    }
}
