// Browser test of the demo shop (/demo) against the embedded PlacetoPay sandbox.
// Builds and starts the gateway itself (gateway.mjs: development mode, no PLACETOPAY_*), then
// drives Debian's Chromium headless through Playwright. Needs DATABASE_URL (`make e2e` sets it).
// Its merchant API calls go through build/api.js, compiled from api.ts, which is typed with
// openapi-typescript's types of the OpenAPI document (`npm test` builds it first).
// Screenshots and the gateway's log land in e2e/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startGateway, artifacts, CHROMIUM, GATEWAY, SANDBOX, chromiumArgs, sleep } from "./gateway.mjs";

const CARD_APPROVES = "4110760000000081";
const CARD_DECLINES = "4110760000000016";
const CARD_PENDING_APPROVED = "4110760000000073";

let gateway; // startGateway's answer
let merchant; // the merchant API, with the development API key

before(async () => {
  gateway = await startGateway();
  merchant = gateway.merchant;
});

after(async () => {
  await gateway?.stop();
});

// scenario runs body with a page in a fresh browser (fresh profile directory) whose language
// is locale (en-US unless told: Chromium sends it as Accept-Language), and saves
// artifacts/<name>.png at the end, pass or fail.
async function scenario(name, body, { locale = "en-US" } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "gateway-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 800, height: 900 },
    locale,
  });
  // A Content-Security-Policy that blocks one of the pages' own styles or scripts shows up
  // as a console error, on any tab of the context; any fails the scenario.
  const blocked = [];
  const watch = (p) => p.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) blocked.push(`${p.url()}: ${m.text()}`);
  });
  context.pages().forEach(watch);
  context.on("page", watch);
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  let shot = false;
  try {
    await body(page, async () => {
      await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
      shot = true;
    });
    assert.deepEqual(blocked, [], "the pages' Content-Security-Policy blocked something");
  } finally {
    if (!shot) await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true }).catch(() => {});
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

// snap saves a screenshot of page as artifacts/<name>.png.
async function snap(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// text is an element's text with its whitespace collapsed.
async function text(page, selector) {
  return (await page.locator(selector).first().textContent()).replace(/\s+/g, " ").trim();
}

// The formats of the pages (internal/locale): amounts for the locale, dates in Colombia's
// zone for es_CO (no offset shown), with their offset where the zone is not the country's.
const COP_ES = "$ 59.900 COP";
const COP_EN = "COP 59,900";
const DATE_ES = /^\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre) de \d{4}, \d{2}:\d{2}$/;
const DATE_EN_SANDBOX = /^[A-Z][a-z]+ \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M \(UTC-05:00\)$/;

// startCheckout opens the shop, presses "Pay with PlacetoPay" and waits for the sandbox page.
async function startCheckout(page) {
  await page.goto(GATEWAY + "/demo");
  await assertStyled(page, "#pay");
  await page.click("#pay");
  await page.waitForURL((u) => u.origin === SANDBOX);
  await page.locator('input[name="card"]').waitFor({ state: "visible" });
  await assertStyled(page, "button.pay");
}

// assertStyled checks that the page's inline stylesheet applied (its buttons are blue): the
// page's Content-Security-Policy let it in.
async function assertStyled(page, selector) {
  const bg = await page.locator(selector).evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, "rgb(31, 111, 235)", `${selector} on ${page.url()} is not styled: its stylesheet was blocked?`);
}

async function payWith(page, card) {
  await page.fill('input[name="card"]', card);
  await page.fill('input[name="expiry"]', "12/30");
  await page.fill('input[name="cvv"]', "123");
  await page.click("button.pay");
}

async function waitForOrderPage(page) {
  await page.waitForURL((u) => u.origin === GATEWAY && u.pathname.startsWith("/demo/orders/"));
  const bold = await page.locator("#state").evaluate((el) => getComputedStyle(el).fontWeight);
  assert.equal(bold, "600", "the order page is not styled: its stylesheet was blocked?");
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
}

// waitForState waits until #state reads want; the page polls the gateway every second.
async function waitForState(page, want, timeout = 10_000) {
  try {
    await page.waitForFunction((w) => document.getElementById("state")?.textContent === w, want, { timeout });
  } catch (e) {
    const got = await page.locator("#state").textContent().catch(() => "?");
    throw new Error(`#state did not become ${JSON.stringify(want)} within ${timeout}ms; it reads ${JSON.stringify(got)}`);
  }
}

// orderOf finds the order id in the cookie the shop left for its reference.
async function orderOf(page, ref) {
  const cookie = (await page.context().cookies(GATEWAY + "/demo")).find((c) => c.name === "demo_" + ref);
  assert.ok(cookie, `no demo_${ref} cookie`);
  const [id] = decodeURIComponent(cookie.value).split(".");
  assert.ok(id, "empty order id in the cookie");
  return id;
}

async function assertOrder(page, ref, status) {
  const o = await merchant.order(await orderOf(page, ref));
  assert.equal(o.status, status, `order ${ref} through the API: ${JSON.stringify(o)}`);
  return o;
}

const T = { timeout: 90_000 };

test("approved card: Paid", T, () =>
  scenario("approved", async (page, shot) => {
    await page.goto(GATEWAY + "/demo");
    assert.equal(await text(page, "#total"), COP_EN, "the English shop's price");
    assert.equal(await text(page, "#vat"), "COP 9,563.87", "the English shop's IVA");
    await snap(page, "en-shop");
    await startCheckout(page);
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
    assert.equal(await text(page, ".amount"), COP_EN, "the English payment page's amount");
    assert.match(await text(page, ".expires"), DATE_EN_SANDBOX);
    await snap(page, "en-sandbox");
    await payWith(page, CARD_APPROVES);
    const ref = await waitForOrderPage(page);
    await waitForState(page, "Paid");
    assert.equal(await text(page, "#detail"), `${COP_EN} received. Thank you!`);
    assert.equal(await page.locator("#retry").isVisible(), false);
    await shot();
    const o = await assertOrder(page, ref, "paid");
    assert.equal(o.amount.currency, "COP");
    assert.equal(o.amount.total, "59900.00");
    assert.deepEqual(o.amount.taxes, [{ kind: "valueAddedTax", amount: "9563.87", base: "50336.13" }],
      "the demo sends its 19 % IVA as a valueAddedTax");
    const ev = await merchant.paidEvent(o.id);
    assert.equal(ev.data.status, "paid");
    assert.equal(ev.data.reference, o.reference);
    assert.deepEqual(ev.data.paidAmount, { currency: "COP", total: "59900.00" }, `order.paid event ${JSON.stringify(ev)}`);
  }));

test("declined card, then an approved one: Paid", T, () =>
  scenario("declined-then-approved", async (page, shot) => {
    await startCheckout(page);
    const sandboxURL = page.url();
    await payWith(page, CARD_DECLINES);
    // A decline keeps the payer on the sandbox page (303 back to itself), which says so
    // plainly, says nothing was charged and how many attempts are left, and lists the
    // declined attempt; the session is still waiting for a payment.
    const alert = page.locator(".error.declined");
    await alert.waitFor({ state: "visible" });
    assert.match(await text(page, ".error.declined"), /^Payment declined.*was declined by its issuer\. Nothing was charged\. You can try another card: 9 attempts left\.$/);
    await page.locator("td", { hasText: "Declined" }).waitFor({ state: "visible" });
    assert.equal(await text(page, ".status"), "Awaiting payment");
    assert.equal(new URL(page.url()).origin, SANDBOX, "a declined card left the sandbox page");
    assert.equal(await page.locator('input[name="card"]').isVisible(), true, "no card form after a decline");
    assert.ok(new URL(page.url()).pathname.startsWith(new URL(sandboxURL).pathname), `unexpected page ${page.url()}`);
    await snap(page, "en-declined");
    await payWith(page, CARD_APPROVES);
    const ref = await waitForOrderPage(page);
    await waitForState(page, "Paid");
    await shot();
    await assertOrder(page, ref, "paid");
  }));

test("pending card, approved once the sandbox clock moves: Paid", T, () =>
  scenario("pending-then-approved", async (page, shot) => {
    await startCheckout(page);
    await payWith(page, CARD_PENDING_APPROVED);
    const ref = await waitForOrderPage(page);
    await waitForState(page, "Waiting for your bank");
    await page.screenshot({ path: join(artifacts, "pending-then-approved-waiting.png"), fullPage: true });
    await assertOrder(page, ref, "pending");
    const r = await fetch(SANDBOX + "/sandbox/clock", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ advance: "3m" }),
    });
    assert.equal(r.status, 200, `POST /sandbox/clock: ${r.status} ${await r.text()}`);
    await waitForState(page, "Paid", 10_000);
    await shot();
    await assertOrder(page, ref, "paid");
  }));

test("cancelled on the sandbox page: Payment cancelled, and Try again", T, () =>
  scenario("cancelled", async (page, shot) => {
    await startCheckout(page);
    await page.click("button.cancel");
    const ref = await waitForOrderPage(page);
    await waitForState(page, "Payment cancelled");
    assert.match(await text(page, "#detail"), /^You cancelled the payment on PlacetoPay's page\. Nothing was charged/);
    const retry = page.locator("#retry button", { hasText: "Try again" });
    await retry.waitFor({ state: "visible" });
    await shot();
    // The order failed (the contract keeps "cancelled" for the merchant's cancel); its last
    // session says the payer cancelled.
    await assertOrder(page, ref, "failed");
    await retry.click();
    await page.waitForURL((u) => u.origin === SANDBOX);
    await page.locator('input[name="card"]').waitFor({ state: "visible" });
    await page.screenshot({ path: join(artifacts, "cancelled-retry.png"), fullPage: true });
    // Cancel this second checkout too, so that no open session outlives this run: the sandbox
    // forgets its sessions when the gateway stops, and the next run's prober would chase them.
    await page.click("button.cancel");
    await waitForOrderPage(page);
    await waitForState(page, "Payment cancelled");
    await assertOrder(page, ref, "failed");
  }));

// In Spanish: an es-CO browser gets the shop, the payment page (its checkout is opened with
// locale es_CO), the test cards page and the order page in Spanish, amounts as "$ 59.900 COP"
// and dates as "4 de diciembre de 2026, 10:24".
test("en español: tienda, tarjeta rechazada, otra aprobada: Pagado", T, () =>
  scenario("es-paid", async (page, shot) => {
    await page.goto(GATEWAY + "/demo");
    assert.equal(await page.locator("html").getAttribute("lang"), "es");
    assert.equal(await text(page, "#total"), COP_ES, "the Spanish shop's price");
    assert.equal(await text(page, "#vat"), "$ 9.563,87 COP", "the Spanish shop's IVA");
    assert.equal(await text(page, "#pay"), "Pagar con PlacetoPay");
    await snap(page, "es-shop");
    await startCheckout(page);
    assert.equal(await page.locator("html").getAttribute("lang"), "es");
    assert.equal(await text(page, ".amount"), COP_ES, "the Spanish payment page's amount");
    assert.equal(await text(page, "button.pay"), "Pagar");
    assert.equal(await text(page, ".status"), "Esperando el pago");
    assert.match(await text(page, ".expires"), DATE_ES);
    await snap(page, "es-sandbox");

    // The test cards page, from the payment page's banner, in a new tab, in Spanish.
    const [cards] = await Promise.all([page.context().waitForEvent("page"), page.click(".banner a")]);
    await cards.waitForLoadState();
    assert.equal(await cards.locator("html").getAttribute("lang"), "es");
    await cards.locator("h1", { hasText: "Tarjetas de prueba" }).waitFor();
    await cards.locator("tr", { hasText: CARD_DECLINES }).locator("td", { hasText: "Rechaza" }).waitFor();
    await cards.locator("tr", { hasText: CARD_PENDING_APPROVED }).locator("td", { hasText: "Queda pendiente" }).waitFor();
    await cards.screenshot({ path: join(artifacts, "es-cards.png"), fullPage: true });
    await cards.close();

    await payWith(page, CARD_DECLINES);
    await page.locator(".error.declined").waitFor({ state: "visible" });
    assert.match(await text(page, ".error.declined"), /^Pago rechazado.*fue rechazada por su emisor\. No se realizó ningún cobro\. Puede intentar con otra tarjeta: le quedan 9 intentos\.$/);
    await page.locator("td", { hasText: "Rechazado" }).waitFor({ state: "visible" });
    assert.equal(await text(page, ".status"), "Esperando el pago");
    await snap(page, "es-declined");

    await payWith(page, CARD_APPROVES);
    const ref = await waitForOrderPage(page);
    assert.equal(await page.locator("html").getAttribute("lang"), "es");
    await waitForState(page, "Pagado");
    assert.equal(await text(page, "#total"), COP_ES);
    assert.equal(await text(page, "#detail"), `Recibimos ${COP_ES}. ¡Gracias!`);
    assert.match((await text(page, "#placed")).replace(/^Realizado el /, ""), DATE_ES);
    await shot();
    await assertOrder(page, ref, "paid");
  }, { locale: "es-CO" }));

test("en español: cancelado en la página de pago: Pago cancelado", T, () =>
  scenario("es-cancelled", async (page, shot) => {
    await startCheckout(page);
    assert.match(await text(page, "button.cancel"), /^Cancelar y volver a /);
    await page.click("button.cancel");
    const ref = await waitForOrderPage(page);
    await waitForState(page, "Pago cancelado");
    assert.match(await text(page, "#detail"), /^Usted canceló el pago en la página de PlacetoPay\. No se realizó ningún cobro/);
    await page.locator("#retry button", { hasText: "Intentar de nuevo" }).waitFor({ state: "visible" });
    await shot();
    await assertOrder(page, ref, "failed");
  }, { locale: "es-CO" }));

// The payment page follows the session's locale, not the browser's: a storefront that asks
// for es_CO gets a Spanish page even in an English browser, and the other way round.
test("the session's locale decides the payment page's language", T, () =>
  scenario("session-locale", async (page, shot) => {
    for (const { locale, lang, amount, pay, name } of [
      { locale: "es_CO", lang: "es", amount: COP_ES, pay: "Pagar", name: "session-es_CO-in-en-browser" },
      { locale: "en_US", lang: "en", amount: COP_EN, pay: "Pay", name: "session-en_US-in-en-browser" },
    ]) {
      const o = await merchant.createOrder({ description: "Camiseta", amount: { currency: "COP", total: "59900" } });
      const s = await merchant.checkout(o.id, { locale });
      await page.goto(s.processUrl);
      assert.equal(await page.locator("html").getAttribute("lang"), lang, `locale ${locale}`);
      assert.equal(await text(page, ".amount"), amount, `locale ${locale}`);
      assert.equal(await text(page, "button.pay"), pay, `locale ${locale}`);
      await snap(page, name);
      // Cancel it: no open session outlives the run. Without a returnUrl the payer lands on
      // the gateway's own status page, in the browser's language.
      await page.click("button.cancel");
      await page.waitForURL((u) => u.origin === GATEWAY && u.pathname.startsWith("/return/"));
      // The page is as the gateway last knew the order; it does not update by itself.
      for (const until = Date.now() + 10_000; (await text(page, "#state")) !== "Payment cancelled";) {
        assert.ok(Date.now() < until, `the status page reads ${JSON.stringify(await text(page, "#state"))}, not "Payment cancelled"`);
        await sleep(500);
        await page.reload();
      }
      assert.equal(await text(page, "#total"), COP_EN);
      assert.equal(await page.locator("#state").evaluate((el) => getComputedStyle(el).fontWeight), "600",
        "the status page is not styled: its stylesheet was blocked?");
    }
    await shot();
  }));
