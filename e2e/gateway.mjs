// The gateway the browser tests run against: built with `make build`, started in development
// mode (no PLACETOPAY_*: the embedded PlacetoPay sandbox), on fixed local ports. Shared by
// demo.test.mjs and console.test.mjs, which `node --test` runs one after the other (the
// ports and the database are the same). Needs DATABASE_URL (`make e2e` sets it).
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, createWriteStream, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { Merchant } from "./build/api.js";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..");
export const artifacts = join(here, "artifacts");
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const GATEWAY = "http://127.0.0.1:18080";
export const ADMIN = "http://127.0.0.1:19090";
export const SANDBOX = "http://127.0.0.1:18090";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// deadline resolves to null after ms without keeping the process alive (for Promise.race).
export const deadline = (ms) => new Promise((r) => setTimeout(() => r(null), ms).unref());

// The Chromium flags of every browser test.
export const chromiumArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

// startGateway checks the prerequisites, builds the binary, starts `gateway serve` with env
// added to the defaults, waits until it is ready and its development API key is logged, and
// returns { merchant, apiKey, logTail, fail, stop }. Its log goes to artifacts/<log>.
export async function startGateway({ env: extra = {}, log: logName = "gateway.log" } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing; install it (Debian: apt-get install chromium)`);
  if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL is not set; run this through `make e2e`");
  mkdirSync(artifacts, { recursive: true });

  try {
    execFileSync("make", ["build"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`make build failed:\n${e.stdout}\n${e.stderr}`);
  }

  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("PLACETOPAY_") || k.startsWith("MERCHANT_WEBHOOK_") || k === "GATEWAY_API_KEYS") delete env[k];
  Object.assign(env, {
    GATEWAY_ADDR: "127.0.0.1:18080",
    GATEWAY_ADMIN_ADDR: "127.0.0.1:19090",
    SANDBOX_ADDR: "127.0.0.1:18090",
    GATEWAY_PUBLIC_URL: GATEWAY,
    SANDBOX_PUBLIC_URL: SANDBOX,
    GATEWAY_PROBE_INTERVAL: "1s",
  }, extra);
  const gateway = spawn(join(root, "bin", "gateway"), ["serve"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const gatewayExit = new Promise((resolve) => gateway.once("exit", (code, signal) => resolve({ code, signal })));
  const logTail = [];
  const fail = (msg) => {
    throw new Error(`${msg}\n--- last gateway log lines ---\n${logTail.slice(-30).join("\n")}`);
  };
  const log = createWriteStream(join(artifacts, logName));
  let keyFound;
  const keyPromise = new Promise((resolve) => (keyFound = resolve));
  for (const stream of [gateway.stdout, gateway.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      log.write(line + "\n");
      logTail.push(line);
      if (logTail.length > 200) logTail.shift();
      try {
        const rec = JSON.parse(line);
        if (typeof rec.msg === "string" && rec.msg.startsWith("development API key") && rec.apiKey) keyFound(rec.apiKey);
      } catch {}
    });
  }

  const stop = async () => {
    if (gateway.exitCode !== null || gateway.signalCode !== null) return;
    gateway.kill("SIGTERM");
    const done = await Promise.race([gatewayExit, deadline(10_000)]);
    if (!done) {
      gateway.kill("SIGKILL");
      await gatewayExit;
    }
  };

  let exited = null;
  gatewayExit.then((x) => (exited = x));
  const readyBy = Date.now() + 30_000;
  for (;;) {
    if (exited) fail(`the gateway exited early (code ${exited.code}, signal ${exited.signal})`);
    try {
      const r = await fetch(ADMIN + "/readyz");
      if (r.ok) break;
    } catch {}
    if (Date.now() > readyBy) {
      await stop();
      fail("the gateway was not ready on /readyz within 30s");
    }
    await sleep(200);
  }
  const apiKey = await Promise.race([keyPromise, deadline(5_000)]);
  if (!apiKey) {
    await stop();
    fail('no "development API key" log line with an apiKey field');
  }
  return { merchant: new Merchant(GATEWAY, apiKey), apiKey, logTail, fail, stop };
}

// sandboxControl calls the sandbox's control API (docs/sandbox.md) and returns its JSON
// answer; any other status than want fails with the answer.
export async function sandboxControl(method, path, body, want = 200) {
  const r = await fetch(SANDBOX + path, {
    method, headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== want) throw new Error(`${method} ${SANDBOX}${path}: HTTP ${r.status}, want ${want}: ${text}`);
  return text ? JSON.parse(text) : null;
}
