// Browser test of the operator console (/console on the admin listener; docs/console.md),
// against the gateway in development mode with its embedded PlacetoPay sandbox. The pages'
// URLs and selectors are the console's page contract. An operator is added with `gateway
// operators add`, enrols through the link it prints and signs in; then, in the same browser,
// the scenarios read and act on orders the merchant API (build/api.js, typed from the OpenAPI
// document) and the sandbox's control API (docs/sandbox.md) made: a search, a double payment
// in review refunded and resolved, a refund whose answer was lost settled, an event
// redelivered to the test's own webhook endpoint. The scenarios run in order and share the
// operator's session. Screenshots land in e2e/artifacts/console-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { createHmac, timingSafeEqual } from "node:crypto";
import { Merchant, APIError } from "./build/api.js";
import { startGateway, sandboxControl, artifacts, root, CHROMIUM, ADMIN, GATEWAY, chromiumArgs, sleep } from "./gateway.mjs";

const CARD_APPROVES = "4110760000000081";
const EMAIL = "admin@shop.test";
const PASSWORD = "a long console passphrase";
const T = { timeout: 90_000 };

let gateway; // startGateway's answer
let merchant; // the merchant API, with the development API key
let hook; // the test's webhook endpoint: { url, received: [{ id, body }], close }
let context; // the browser, one profile for every scenario
let page;
let profile;
const blocked = []; // Content-Security-Policy refusals seen on any page
let signedIn = false; // the enrol scenario got as far as the home page

// startHook serves the merchant's webhook endpoint: it answers 204 to every POST and keeps
// each delivery's webhook-id header and JSON body.
function startHook() {
  const received = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      let body = null;
      try {
        body = JSON.parse(raw);
      } catch {}
      received.push({ id: req.headers["webhook-id"], body });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    url: `http://127.0.0.1:${server.address().port}/webhooks`, received,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  })));
}

before(async () => {
  hook = await startHook();
  gateway = await startGateway({
    log: "gateway-console.log",
    env: { MERCHANT_WEBHOOK_URL: hook.url, MERCHANT_WEBHOOK_SECRET: "e2e-console-webhook-secret", GATEWAY_CONSOLE_URL: ADMIN },
  });
  merchant = gateway.merchant;
  profile = mkdtempSync(join(tmpdir(), "gateway-e2e-console-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: chromiumArgs, viewport: { width: 1000, height: 900 }, locale: "en-US",
  });
  const watch = (p) => p.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) blocked.push(`${p.url()}: ${m.text()}`);
  });
  context.pages().forEach(watch);
  context.on("page", watch);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
});

after(async () => {
  await sandboxControl("PUT", "/sandbox/faults", {}).catch(() => {});
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await gateway?.stop();
  await hook?.close();
});

// scenario runs body and saves artifacts/console-<name>.png at the end, pass or fail; it
// fails when a page's Content-Security-Policy blocked something.
async function scenario(name, body) {
  const before = blocked.length;
  try {
    await body();
    assert.deepEqual(blocked.slice(before), [], "the console's Content-Security-Policy blocked something");
  } finally {
    await page.screenshot({ path: join(artifacts, `console-${name}.png`), fullPage: true }).catch(() => {});
  }
}

// step names what a scenario was doing when it failed.
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    e.message = `step "${name}" failed (page ${page?.url()}): ${e.message}`;
    throw e;
  }
}

// need waits for selector on the page and returns its locator; missing, it fails naming the
// selector and what it is for.
async function need(selector, what, within = page) {
  const loc = within.locator(selector);
  try {
    await loc.first().waitFor({ state: "attached", timeout: 10_000 });
  } catch {
    throw new Error(`no ${selector} (${what}) on ${page.url()}`);
  }
  return loc;
}

// text is an element's text with its whitespace collapsed.
async function text(loc) {
  return ((await loc.first().textContent()) ?? "").replace(/\s+/g, " ").trim();
}

// requireSession fails a scenario at once when the operator could not sign in.
function requireSession() {
  if (!signedIn) throw new Error("the operator is not signed in: the enrol scenario failed before the home page");
}

// submit fills a form (textareas, inputs and selects by name), submits it and waits for the
// page it leads to (a POST answers 303 back to a page); a #error there fails with its text.
async function submit(form, fields, what) {
  for (const [name, value] of Object.entries(fields)) {
    const field = form.locator(`[name="${name}"]`).first();
    if ((await field.count()) === 0) throw new Error(`${what}: the form has no field named ${name}`);
    const tag = await field.evaluate((el) => el.tagName.toLowerCase());
    if (tag === "select") await field.selectOption(value);
    else await field.fill(value);
  }
  const button = form.locator('button[type="submit"], input[type="submit"]').first();
  if ((await button.count()) === 0) throw new Error(`${what}: the form has no submit button`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), button.click()]);
  const error = page.locator("#error");
  if (await error.count()) throw new Error(`${what}: the page answered #error: ${await text(error)}`);
}

// expectFlash checks the one-time success message after an action.
async function expectFlash(what) {
  const flash = await need("#flash", `the success message after ${what}`);
  assert.equal(await flash.first().getAttribute("role"), "status", "#flash is a role=status message");
}

// paidOrder creates an order of COP amount through the merchant API, opens its checkout and
// pays it at the sandbox with the approving card, and waits until the gateway says paid.
async function paidOrder(reference, total = "59900") {
  const o = await merchant.createOrder({ reference, description: "Camiseta", amount: { currency: "COP", total } });
  const s = await merchant.checkout(o.id, { locale: "en_US" });
  await sandboxControl("POST", `/sandbox/sessions/${s.requestId}/pay`, { card: CARD_APPROVES });
  await waitOrder(o.id, "paid");
  return { order: o, requestId: s.requestId };
}

// waitOrder polls the merchant API (querying PlacetoPay) until the order has status want.
async function waitOrder(id, want, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const o = await merchant.order(id, { refresh: true });
    if (o.status === want) return o;
    if (Date.now() > until) throw new Error(`order ${id} is ${o.status} after ${timeoutMs}ms, want ${want}`);
    await sleep(300);
  }
}

// openOrder opens the order's console page and checks its status in #summary.
async function openOrder(id, status) {
  await page.goto(`${ADMIN}/console/orders/${id}`);
  const st = await need("#summary [data-field=status]", "the order's status in its summary");
  assert.equal(await text(st), status, `the order's status on ${page.url()}`);
}

// attentionLists checks that the home page's count for filter is at least 1 and that its link
// lists the order.
async function attentionLists(filter, orderId) {
  await page.goto(`${ADMIN}/console`);
  const a = await need(`a[data-filter=${filter}]`, `the ${filter} count`);
  const n = Number(await text(a.locator(".count")));
  assert.ok(n >= 1, `the home page counts ${n} for ${filter}, want at least 1`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), a.first().click()]);
  await need(`table#orders tr[data-order-id="${orderId}"]`, `the order in the ${filter} list`);
}

const ref = (what) => `${what}-${Date.now().toString(36)}`;

test("enrol: the enrolment link, a password, sign in, the home page's attention counts", T, () =>
  scenario("enroll", async () => {
    const link = await step("gateway operators add", () => {
      let out;
      try {
        out = execFileSync(join(root, "bin", "gateway"), ["operators", "add", "--email", EMAIL, "--role", "admin"], {
          env: { ...process.env, GATEWAY_CONSOLE_URL: ADMIN }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
        });
      } catch (e) {
        throw new Error(`gateway operators add failed (the test needs a fresh database, as \`make e2e\` makes): ${e.stderr || e.message}`);
      }
      const m = out.match(/enrollment link \(valid until [^)]*\): (\S+)/);
      assert.ok(m, `no enrollment link in the output:\n${out}`);
      assert.match(out, /api token: op_\S+/, "the output shows the operator's API token");
      assert.ok(m[1].startsWith(`${ADMIN}/console/enroll?token=`), `the link ${m[1]} is not on GATEWAY_CONSOLE_URL`);
      return m[1];
    });
    await step("enrol: set a password without TOTP", async () => {
      await page.goto(link);
      const form = await need("form#enroll", "the enrolment form");
      await need("input#password[name=password]", "the password field", form);
      await need("input#confirm[name=confirm]", "the password confirmation", form);
      const totp = await need('input#totp[type=checkbox][name=totp]', "the optional TOTP checkbox", form);
      if (await totp.isChecked()) await totp.uncheck();
      await submit(form, { password: PASSWORD, confirm: PASSWORD }, "form#enroll");
      assert.equal(new URL(page.url()).pathname, "/console/signin", "enrolment leads to the sign-in page");
      await expectFlash("enrolment");
    });
    await step("sign in through form#signin", async () => {
      const form = await need("form#signin", "the sign-in form");
      await need("input#email[name=email]", "the email field", form);
      await need("input#password[name=password]", "the password field", form);
      await need("input#code[name=code]", "the optional TOTP code field", form);
      await submit(form, { email: EMAIL, password: PASSWORD }, "form#signin");
      assert.equal(new URL(page.url()).pathname, "/console", "signing in leads to the home page");
      signedIn = true;
    });
    await step("the home page's attention counts", async () => {
      for (const filter of ["review", "unknown_actions", "expired_sessions", "undelivered", "probe_found"]) {
        const a = await need(`a[data-filter=${filter}]`, `the ${filter} count`);
        const href = new URL(await a.first().getAttribute("href"), page.url());
        assert.equal(href.pathname + href.search, `/console/orders?filter=${filter}`, `a[data-filter=${filter}] links to its list`);
        assert.match(await text(a.locator(".count")), /^\d+$/, `a[data-filter=${filter}] .count is a number`);
      }
      await need("svg", "the approvals chart");
      await need("form#search input#q[name=q]", "the search form");
      await need("form#signout", "the sign-out form");
      await need("main", "the main landmark");
    });
  }));

let searched; // the order the search scenario found: paid, with an order.paid event

test("search a reference and open the order from its result row", T, () =>
  scenario("search", async () => {
    const { order } = await step("a paid order (merchant API, sandbox control)", () => paidOrder(ref("CON-SEARCH")));
    searched = order;
    requireSession();
    await step("search its reference through form#search", async () => {
      await page.goto(`${ADMIN}/console`);
      const form = await need("form#search", "the search form");
      await form.locator("input#q").fill(order.reference);
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), form.locator("input#q").press("Enter")]);
      const u = new URL(page.url());
      assert.equal(u.pathname, "/console/orders", "the search form GETs /console/orders");
      assert.equal(u.searchParams.get("q"), order.reference);
    });
    await step("the result row, then the order", async () => {
      const row = await need(`table#orders tr[data-order-id="${order.id}"]`, "the order's result row");
      assert.match(await text(row.locator("[data-field=status]")), /paid/i, "the row's status");
      assert.ok((await text(row)).includes(order.reference), "the row shows the reference");
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), row.locator(`a[href="/console/orders/${order.id}"]`).first().click()]);
      assert.equal(new URL(page.url()).pathname, `/console/orders/${order.id}`);
      assert.equal(await text(await need("#summary [data-field=status]", "the order's status")), "paid");
      assert.ok((await text(page.locator("#summary"))).includes(order.reference), "#summary shows the reference");
      for (const t of ["table#sessions", "table#payments", "table#refunds", "table#actions", "section#timeline", "table#notifications", "table#events", "table#audit"]) {
        await need(t, "a part of the order's story");
      }
    });
  }));

test("a double payment in review: refund the extra payment, resolve to paid, both in the audit", T, () =>
  scenario("review", async () => {
    const { order, requestId } = await step("a paid order", () => paidOrder(ref("CON-TWICE")));
    const extra = await step("the shopper pays the same session again (sandbox control, again)", async () => {
      // The second approval must not be dated the same second as the first (docs/sandbox.md).
      await sandboxControl("POST", "/sandbox/clock", { advance: "1s" });
      await sandboxControl("POST", `/sandbox/sessions/${requestId}/pay`, { card: CARD_APPROVES, again: true });
      const o = await waitOrder(order.id, "review");
      assert.equal(o.payments.length, 2, `two payments: ${JSON.stringify(o.payments)}`);
      return Math.max(...o.payments.map((p) => p.internalReference));
    });
    requireSession();
    await step("the home page's review count lists it", () => attentionLists("review", order.id));
    await step("the order page shows review and both payments", async () => {
      await openOrder(order.id, "review");
      assert.equal(await (await need("table#payments tr[data-payment]", "the payments' rows")).count(), 2, "two payment rows");
    });
    await step("refund the extra payment from its row", async () => {
      const form = await need(`table#payments tr[data-payment="${extra}"] form[data-action=refund]`, "the extra payment's refund form");
      await need('input[name=csrf][type=hidden]', "the form's CSRF token", form);
      await submit(form, { reason: "the shopper paid twice, in two tabs" }, "the payment's refund form");
      await expectFlash("the refund");
      const st = await need("table#refunds tr[data-refund-id] [data-field=state]", "the refund's state");
      assert.equal(await text(st), "succeeded", "the refund's state");
    });
    await step("resolve the review to paid", async () => {
      const form = await need("form[data-action=resolve]", "the resolve form");
      await submit(form, { to: "paid", reason: "one payment kept, the extra one refunded" }, "the resolve form");
      await expectFlash("the resolve");
      assert.equal(await text(await need("#summary [data-field=status]", "the order's status")), "paid");
    });
    await step("both actions in table#audit", async () => {
      for (const action of ["refund", "resolve"]) {
        const row = await need(`table#audit tr[data-audit-action=${action}]`, `the ${action} audit row`);
        assert.ok((await text(row)).includes(EMAIL), `the ${action} audit row names the operator`);
      }
      assert.ok((await text(page.locator("table#audit tr[data-audit-action=refund]"))).includes("paid twice"), "the refund's reason");
    });
    assert.equal((await merchant.order(order.id)).status, "paid", "the order through the merchant API");
  }));

test("settle a refund whose answer was lost (PlacetoPay did refund it)", T, () =>
  scenario("settle", async () => {
    const { order } = await step("a paid order", () => paidOrder(ref("CON-LOST")));
    const payment = (await merchant.order(order.id)).payments[0].internalReference;
    const refund = await step("a partial refund answered 500 after PlacetoPay made it (sandbox fault)", async () => {
      await sandboxControl("PUT", "/sandbox/faults", { transaction: { status: 500, apply: true, count: 1 } });
      let r;
      try {
        r = await merchant.refund(order.id, { amount: { currency: "COP", total: "10000" } });
      } finally {
        await sandboxControl("PUT", "/sandbox/faults", {});
      }
      assert.equal(r.status, 202, "the refund is accepted with its outcome unknown");
      assert.equal(r.refund.status, "unknown");
      const txs = await sandboxControl("GET", "/sandbox/transactions");
      const reversals = txs.data.filter((t) => t.kind === "reversal" && t.parentReference === payment);
      assert.equal(reversals.length, 1, "the sandbox made the refund");
      return r.refund;
    });
    requireSession();
    await step("the home page's unknown-actions count lists it", () => attentionLists("unknown_actions", order.id));
    await step("the order page shows the refund unknown", async () => {
      await openOrder(order.id, "paid");
      const st = await need(`table#refunds tr[data-refund-id="${refund.id}"] [data-field=state]`, "the refund's state");
      assert.equal(await text(st), "unknown");
    });
    await step("settle it as refunded", async () => {
      const form = await need(`table#refunds tr[data-refund-id="${refund.id}"] form[data-action=settle]`, "the refund's settle form");
      await submit(form, { outcome: "refunded", reason: "the sandbox's transactions show the reversal" }, "the settle form");
      await expectFlash("the settle");
      const st = await need(`table#refunds tr[data-refund-id="${refund.id}"] [data-field=state]`, "the refund's state");
      assert.equal(await text(st), "succeeded", "the settled refund's state");
      const row = await need("table#audit tr[data-audit-action=settle]", "the settle audit row");
      assert.ok((await text(row)).includes(EMAIL), "the settle audit row names the operator");
    });
    const o = await merchant.order(order.id);
    assert.equal(o.status, "partially_refunded", "the order through the merchant API");
    assert.equal(o.refundedAmount?.total, "10000.00", `refunded amount ${JSON.stringify(o.refundedAmount)}`);
  }));

test("redeliver an order.paid event: the endpoint gets it again, same webhook-id", T, () =>
  scenario("redeliver", async () => {
    const order = searched ?? (await step("a paid order", () => paidOrder(ref("CON-EVENT")))).order;
    const first = await step("the endpoint received the order.paid event", async () => {
      const until = Date.now() + 15_000;
      for (;;) {
        const d = hook.received.find((x) => x.body?.type === "order.paid" && x.body?.orderId === order.id);
        if (d) return d;
        if (Date.now() > until) throw new Error(`no order.paid delivery for ${order.id}; received ${hook.received.length} deliveries`);
        await sleep(200);
      }
    });
    assert.ok(first.id, "the delivery has a webhook-id header");
    requireSession();
    const before = hook.received.filter((x) => x.id === first.id).length;
    await step("press the event's redeliver form", async () => {
      await openOrder(order.id, "paid");
      const row = page.locator("table#events tr[data-event-id]", { hasText: "order.paid" }).first();
      try {
        await row.waitFor({ state: "attached" });
      } catch {
        throw new Error(`no table#events tr[data-event-id] row mentioning order.paid on ${page.url()}`);
      }
      const eventId = await row.getAttribute("data-event-id");
      if (first.body?.id) assert.equal(eventId, first.body.id, "the row's event is the one delivered");
      const form = await need("form[data-action=redeliver]", "the event's redeliver form", row);
      assert.equal(new URL(await form.first().getAttribute("action"), page.url()).pathname, `/console/events/${eventId}/redeliver`);
      await submit(form.first(), { reason: "the shop's endpoint lost it" }, "the redeliver form");
      assert.equal(new URL(page.url()).pathname, `/console/orders/${order.id}`, "back to the order page");
      await expectFlash("the redelivery");
      await need("table#audit tr[data-audit-action=redeliver]", "the redeliver audit row");
    });
    await step("the endpoint receives it again", async () => {
      const until = Date.now() + 15_000;
      while (hook.received.filter((x) => x.id === first.id).length <= before) {
        if (Date.now() > until) throw new Error(`webhook-id ${first.id} was received ${before} time(s) and not again within 15s`);
        await sleep(200);
      }
      const again = hook.received.filter((x) => x.id === first.id).at(-1);
      assert.equal(again.body?.type, "order.paid");
      assert.equal(again.body?.orderId, order.id);
    });
  }));

// standardWebhookValid checks a delivery's webhook-signature header against the endpoint's
// whsec_ secret as Standard Webhooks defines it: HMAC-SHA256 of "id.timestamp.body" keyed with
// the secret's base64 bytes, one "v1,<base64>" per secret in use.
function standardWebhookValid(secret, { id, timestamp, signature, raw }) {
  if (!secret.startsWith("whsec_") || !id || !timestamp || !signature) return false;
  const want = createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
    .update(`${id}.${timestamp}.${raw}`).digest();
  return signature.split(" ").some((part) => {
    const [version, sig] = part.split(",");
    const got = Buffer.from(sig ?? "", "base64");
    return version === "v1" && got.length === want.length && timingSafeEqual(got, want);
  });
}

test("API keys: make a read key, it reads and may not write, revoke it and it is refused", T, () =>
  scenario("keys", async () => {
    requireSession();
    const name = ref("storefront-reader");
    const secret = await step("make a read key on /console/keys", async () => {
      await page.goto(`${ADMIN}/console/keys`);
      const form = await need("form[data-action=create_key]", "the make-a-key form");
      await submit(form.first(), { name, scope: "read" }, "the make-a-key form");
      await need("#new-key", "the new key, shown once");
      const value = await (await need("#new-key [data-field=secret]", "the key itself")).first().inputValue();
      assert.match(value, /^sk_test_/, "a development gateway makes sk_test_ keys");
      return value;
    });
    const row = page.locator("table#keys tr[data-key]", { hasText: name }).first();
    await step("the key is listed by its prefix, never in full", async () => {
      await row.waitFor({ state: "attached" });
      assert.equal(await text(row.locator("[data-field=scope]")), "read");
      assert.equal(await text(row.locator("[data-field=state]")), "active");
      const prefix = await row.getAttribute("data-key");
      assert.ok(secret.startsWith(prefix) && prefix.length < secret.length, `prefix ${prefix} of the key`);
      await page.reload(); // sends the form again: the gateway answers with the list, no second key
      assert.equal(new URL(page.url()).pathname, "/console/keys");
      assert.equal(await page.locator("#new-key").count(), 0, "the key is shown only once");
      assert.equal(await page.locator("table#keys tr[data-key]", { hasText: name }).count(), 1, "one key, not one per reload");
      assert.ok(!(await page.content()).includes(secret), "the key is not on the page after a reload");
    });
    const { order } = await step("an order to read", () => paidOrder(ref("CON-KEY")));
    const reader = new Merchant(GATEWAY, secret);
    await step("the read key reads and is refused a write", async () => {
      const o = await reader.order(order.id);
      assert.equal(o.id, order.id);
      await assert.rejects(
        reader.createOrder({ reference: ref("CON-KEY-W"), description: "x", amount: { currency: "COP", total: "1000" } }),
        (e) => e instanceof APIError && e.status === 403,
        "a read key creating an order is a 403",
      );
    });
    await step("revoke it on the page", async () => {
      await page.goto(`${ADMIN}/console/keys`);
      const form = await need("form[data-action=revoke_key]", "the key's revoke form", page.locator("table#keys tr[data-key]", { hasText: name }));
      await submit(form.first(), { reason: "the storefront was retired" }, "the revoke form");
      await expectFlash("the revocation");
      const state = await text(page.locator("table#keys tr[data-key]", { hasText: name }).first().locator("[data-field=state]"));
      assert.match(state, /^revoked /, `the key's state after revoking: ${state}`);
    });
    await step("the revoked key is refused", async () => {
      const until = Date.now() + 2_000;
      for (;;) {
        try {
          await reader.order(order.id);
        } catch (e) {
          if (e instanceof APIError && e.status === 401) break;
          throw e;
        }
        if (Date.now() > until) throw new Error("the revoked key still reads 2s after its revocation");
        await sleep(100);
      }
    });
  }));

test("webhook endpoints: add one for order.paid, it gets a signed delivery, disable it", T, () =>
  scenario("endpoints", async () => {
    requireSession();
    const received = [];
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (c) => (raw += c));
      req.on("end", () => {
        received.push({ id: req.headers["webhook-id"], timestamp: req.headers["webhook-timestamp"], signature: req.headers["webhook-signature"], raw });
        res.writeHead(204).end();
      });
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${server.address().port}/paid-only`;
    try {
      const secret = await step("add the endpoint on /console/endpoints", async () => {
        await page.goto(`${ADMIN}/console/endpoints`);
        const form = await need("form[data-action=create_endpoint]", "the add-an-endpoint form");
        await submit(form.first(), { url, events: "order.paid" }, "the add-an-endpoint form");
        const value = await (await need("#new-secret [data-field=secret]", "the endpoint's signing secret")).first().inputValue();
        assert.match(value, /^whsec_/, "the signing secret");
        return value;
      });
      const row = page.locator("table#endpoints tr[data-endpoint]", { hasText: url }).first();
      await row.waitFor({ state: "attached" });
      assert.equal(await text(row.locator("[data-field=events]")), "order.paid");
      assert.match(await text(row.locator("[data-field=state]")), /^enabled/);
      const { order } = await step("a paid order", () => paidOrder(ref("CON-ENDPOINT")));
      const delivery = await step("the endpoint receives order.paid, signed with its secret", async () => {
        const until = Date.now() + 15_000;
        for (;;) {
          const d = received.find((x) => {
            try {
              const b = JSON.parse(x.raw);
              return b.type === "order.paid" && b.orderId === order.id;
            } catch {
              return false;
            }
          });
          if (d) return d;
          if (Date.now() > until) throw new Error(`no order.paid for ${order.id} at ${url}; received ${received.length}`);
          await sleep(200);
        }
      });
      assert.ok(standardWebhookValid(secret, delivery), "the delivery verifies with the endpoint's secret");
      assert.ok(!standardWebhookValid("whsec_" + Buffer.from("another secret, 32 bytes long...").toString("base64"), delivery),
        "and not with another secret");
      for (const d of received) {
        assert.equal(JSON.parse(d.raw).type, "order.paid", "the filter lets only order.paid through");
      }
      await step("disable it", async () => {
        const form = await need("form[data-action=disable_endpoint]", "the endpoint's disable form", row);
        await submit(form.first(), { reason: "the shop moved its endpoint" }, "the disable form");
        await expectFlash("disabling the endpoint");
        const state = await text(page.locator("table#endpoints tr[data-endpoint]", { hasText: url }).first().locator("[data-field=state]"));
        assert.match(state, /^disabled /, `the endpoint's state after disabling: ${state}`);
        await need("form[data-action=enable_endpoint]", "the enable form of a disabled endpoint",
          page.locator("table#endpoints tr[data-endpoint]", { hasText: url }));
      });
    } finally {
      await new Promise((r) => { server.closeAllConnections(); server.close(r); });
    }
  }));
