// The merchant API calls of the browser test, typed with what openapi-typescript generates
// from internal/http/openapi.yaml (openapi.d.ts, written by `npm run build`, which then
// compiles this file into build/api.js): when the document and these calls disagree, tsc
// refuses the build and `make e2e` fails before any browser starts.
import type { components, paths } from "./openapi.js";

export type Order = components["schemas"]["Order"];
export type OrderStatus = components["schemas"]["OrderStatus"];
export type Event = components["schemas"]["Event"];
export type OrderPaidEvent = components["schemas"]["OrderPaidEvent"];
export type CreateOrder = components["schemas"]["CreateOrder"];
export type CheckoutRequest = components["schemas"]["CheckoutRequest"];
export type Refund = components["schemas"]["Refund"];
export type RefundBody = components["schemas"]["RefundBody"];
type Problem = components["schemas"]["Problem"];
type CreatedOrder = paths["/v1/orders"]["post"]["responses"][201]["content"]["application/json"];
type CheckoutSession = paths["/v1/orders/{id}/checkout"]["post"]["responses"][201]["content"]["application/json"];
type GetOrder = paths["/v1/orders/{id}"]["get"];
type RefundAnswers = paths["/v1/orders/{id}/refunds"]["post"]["responses"];
type ListEvents = paths["/v1/events"]["get"];
type EventsPage = ListEvents["responses"][200]["content"]["application/json"];

/** APIError is an answer other than the documented success, with its problem details. */
export class APIError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    body: string,
  ) {
    super(`HTTP ${status}: ${body}`);
  }
}

/** Merchant calls the merchant API with a secret API key. */
export class Merchant {
  constructor(
    private readonly base: string,
    private readonly apiKey: string,
  ) {}

  /** order is GET /v1/orders/{id} with the API key: the whole order, never the status view. */
  async order(id: GetOrder["parameters"]["path"]["id"], query: GetOrder["parameters"]["query"] = {}): Promise<Order> {
    const q = new URLSearchParams();
    if (query.refresh !== undefined) q.set("refresh", String(query.refresh));
    const body: GetOrder["responses"][200]["content"]["application/json"] = await this.get(
      `/v1/orders/${encodeURIComponent(id)}?${q}`,
    );
    if (!("reference" in body)) throw new Error(`GET /v1/orders/${id} with the API key answered the status view`);
    return body;
  }

  /** createOrder is POST /v1/orders. */
  async createOrder(body: CreateOrder): Promise<CreatedOrder> {
    return this.send("POST", "/v1/orders", body, 201);
  }

  /** checkout is POST /v1/orders/{id}/checkout: the session to send the shopper to. */
  async checkout(id: Order["id"], body: CheckoutRequest = {}): Promise<CheckoutSession> {
    return this.send("POST", `/v1/orders/${encodeURIComponent(id)}/checkout`, body, 201);
  }

  /** refund is POST /v1/orders/{id}/refunds: 201 refunded, or 202 with the refund unknown
   * (PlacetoPay's answer was lost). */
  async refund(id: Order["id"], body: RefundBody = {}): Promise<{ status: 201 | 202; refund: Refund }> {
    const r = await this.call("POST", `/v1/orders/${encodeURIComponent(id)}/refunds`, body, [201, 202]);
    const refund: RefundAnswers[201 | 202]["content"]["application/json"] = JSON.parse(r.text);
    return { status: r.status as 201 | 202, refund };
  }

  /** events is one page of GET /v1/events. */
  async events(query: ListEvents["parameters"]["query"] = {}): Promise<EventsPage> {
    const q = new URLSearchParams();
    if (query.after !== undefined) q.set("after", query.after);
    if (query.limit !== undefined) q.set("limit", String(query.limit));
    return this.get(`/v1/events?${q}`);
  }

  /** paidEvent reads the feed from its start until it lists the order.paid event of order id. */
  async paidEvent(id: Order["id"], timeoutMs = 10_000): Promise<OrderPaidEvent> {
    const until = Date.now() + timeoutMs;
    let after: string | undefined;
    for (;;) {
      const page = await this.events({ after, limit: 100 });
      for (const ev of page.data) {
        // The discriminator narrows ev: only an OrderPaidEvent has type "order.paid".
        if (ev.type === "order.paid" && ev.orderId === id) return ev;
      }
      after = page.nextCursor;
      if (page.data.length === 0) {
        if (Date.now() > until) throw new Error(`no order.paid event for order ${id} within ${timeoutMs}ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private async get<T>(path: string): Promise<T> {
    return this.send("GET", path, undefined, 200);
  }

  /** send makes one call and returns its JSON body, or throws an APIError for any other status than want. */
  private async send<T>(method: "GET" | "POST", path: string, body: unknown, want: number): Promise<T> {
    return JSON.parse((await this.call(method, path, body, [want])).text) as T;
  }

  /** call makes one call and returns its status and body, or throws an APIError for a status not in wants. */
  private async call(method: "GET" | "POST", path: string, body: unknown, wants: number[]): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.apiKey}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (!wants.includes(r.status)) {
      let problem: Problem | undefined;
      try {
        problem = JSON.parse(text) as Problem;
      } catch {}
      throw new APIError(r.status, problem, text);
    }
    return { status: r.status, text };
  }
}
