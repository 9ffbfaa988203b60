/**
 * The landing page in a real browser: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * against the Worker started as `npm start` starts it. Screenshots (light, dark, phone) go to
 * test/e2e/.artifacts/browser/ for a person to look at.
 */
import { mkdir } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandPath, missingCommand } from "./clients/process";
import { requires } from "./support/prerequisites";
import { ARTIFACTS } from "./support/stack";
import { makeCertificate } from "./support/tls";
import { type RunningWorker, startWorker } from "./support/worker";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // A workers.dev-shaped host name that reaches the local Worker, as `npx wrangler deploy` with no edits would serve it.
  `--host-resolver-rules=MAP ${"edgehub.tester.workers.dev"} 127.0.0.1`,
];
const WORKERS_DEV = "edgehub.tester.workers.dev";
const REGISTRY_NAMES = 'Array.from(document.querySelectorAll("#registries td code"), (code) => code.textContent)';
const SHOTS = join(ARTIFACTS, "browser");
// Page-side code is passed as strings: this suite is type-checked against Node's globals, not the DOM's.
const READ_CLIPBOARD = "navigator.clipboard.readText()";
const BODY_BACKGROUND = "getComputedStyle(document.body).backgroundColor";
const SIDEWAYS_OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth";
const TEXT_SIZE = 'parseFloat(getComputedStyle(document.querySelector("section p")).fontSize)';
// Each image name in the registries table that is not wholly inside the viewport and its table's visible box: what a
// user would have to scroll to read (or could not copy at all), as "text: left..right".
const CUT_OFF_NAMES = `(() => {
  const cut = [];
  for (const code of document.querySelectorAll("#registries td code")) {
    const box = code.getBoundingClientRect();
    const table = code.closest(".table").getBoundingClientRect();
    if (box.left < Math.max(0, table.left) - 0.5 || box.right > Math.min(window.innerWidth, table.right) + 0.5) cut.push(code.textContent + ": " + box.left + ".." + box.right);
  }
  const wrapper = document.querySelector("#registries .table");
  if (wrapper.scrollWidth > wrapper.clientWidth) cut.push("the table scrolls sideways by " + (wrapper.scrollWidth - wrapper.clientWidth) + " px");
  return cut;
})()`;

const skip = requires("the browser suite", missingCommand(["chromium", "openssl"]));

describe.skipIf(skip)("the landing page in Chromium", () => {
  let worker: RunningWorker;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    const cert = makeCertificate(SHOTS, "worker");
    const upstreams = { harbor: { registry: "https://harbor.example.net" } };
    worker = await startWorker({
      vars: { UPSTREAMS: JSON.stringify(upstreams) },
      keyPath: cert.keyPath,
      certPath: cert.certPath,
      logLevel: "warn",
    });
    browser = await chromium.launch({ executablePath: commandPath("chromium")!, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  /** Opens the guide in a fresh context, collecting every console error and uncaught exception. */
  async function open(
    options: Parameters<Browser["newContext"]>[0] = {},
  ): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, ...options });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning")
        errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`exception: ${error.message}`));
    page.on("requestfailed", (request) => errors.push(`request failed: ${request.url()}`));
    const response = await page.goto(worker.origin);
    expect(response?.status()).toBe(200);
    return { context, page, errors };
  }

  it("renders with no console error, every snippet naming this host, and the UPSTREAMS route listed", async () => {
    const { context, page, errors } = await open({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    expect(await page.title()).toBe(`${worker.host} · registry mirror`);
    const snippets = await page.locator("pre code").allTextContents();
    expect(snippets.length).toBeGreaterThanOrEqual(9);
    for (const text of snippets) expect(text).toContain(worker.host);
    expect(await page.locator("#registries").textContent()).toContain(`${worker.host}/harbor.example.net/owner/image`);
    await page.screenshot({ path: join(SHOTS, "guide-light.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a copy button puts its snippet on the clipboard", async () => {
    const { context, page, errors } = await open();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: worker.origin });
    for (const id of ["snippet-docker-daemon", "snippet-kind"]) {
      await page.locator(`button[data-copy="${id}"]`).click();
      await expect.poll(() => page.locator(`button[data-copy="${id}"]`).textContent()).toBe("Copied");
      const copied = await page.evaluate<string>(READ_CLIPBOARD);
      expect(copied).toBe(await page.locator(`#${id}`).textContent());
      expect(copied).toContain(worker.host);
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it("speaks Chinese to a browser that prefers it, copies with Chinese labels, and switches to English by its link", async () => {
    const { context, page, errors } = await open({ locale: "zh-CN", viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: worker.origin });
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(await page.title()).toBe(`${worker.host} · 镜像加速器`);
    await page.locator('button[data-copy="snippet-docker-daemon"]').click();
    await expect.poll(() => page.locator('button[data-copy="snippet-docker-daemon"]').textContent()).toBe("已复制");
    expect(await page.evaluate<string>(READ_CLIPBOARD)).toBe(
      await page.locator("#snippet-docker-daemon").textContent(),
    );
    await page.screenshot({ path: join(SHOTS, "guide-zh.png"), fullPage: true });
    await page.locator("a.lang").click();
    await page.waitForURL(/\?lang=en$/);
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.title()).toBe(`${worker.host} · registry mirror`);
    await page.locator("a.lang").click();
    await page.waitForURL(/\?lang=zh$/);
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("follows a dark system setting", async () => {
    const { context, page, errors } = await open({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
    const background = await page.evaluate<string>(BODY_BACKGROUND);
    expect(luminance(background)).toBeLessThan(0.1);
    await page.screenshot({ path: join(SHOTS, "guide-dark.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  // Its skopeo half (a non-Hub image by prefix at such a host) is in second-registry.test.ts, where that registry lives.
  it("the default environment served at a workers.dev host offers path-prefix forms only, no subdomain", async () => {
    const port = new URL(worker.origin).port;
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const response = await page.goto(`https://${WORKERS_DEV}:${port}/`);
    expect(response?.status()).toBe(200);
    const host = `${WORKERS_DEV}:${port}`;
    const names = await page.evaluate<string[]>(REGISTRY_NAMES);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(name.startsWith(`${host}/`), name).toBe(true);
    expect(names).toContain(`${host}/ghcr.io/owner/image`);
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).not.toMatch(/[a-z0-9-]+\.edgehub\.tester\.workers\.dev/); // no ghcr.edgehub… anywhere on the page
    for (const snippet of await page.locator("pre code").allTextContents()) expect(snippet).toContain(host);
    const described = JSON.parse(await getAsHost(port, host)) as { mirror: string; routes: Record<string, unknown>[] };
    expect(described.mirror).toBe(`https://${host}`);
    expect(described.routes.filter((route) => "subdomain" in route)).toEqual([]);
    await context.close();
  });

  it("fits a phone: nothing but the snippets themselves scrolls sideways, and every image name in the table shows whole", async () => {
    const { context, page, errors } = await open({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const overflow = await page.evaluate<number>(SIDEWAYS_OVERFLOW);
    expect(overflow).toBeLessThanOrEqual(0);
    const fontSize = await page.evaluate<number>(TEXT_SIZE);
    expect(fontSize).toBeGreaterThanOrEqual(14);
    expect(await page.locator("#registries td code").count()).toBeGreaterThan(10);
    expect(await page.evaluate<string[]>(CUT_OFF_NAMES)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, "guide-phone.png") });
    await page.locator("#registries").screenshot({ path: join(SHOTS, "guide-phone-registries.png") });
    expect(errors).toEqual([]);
    await context.close();
  });
});

/** GET / from the local Worker as an API client naming `host` (the browser's navigation always asks for HTML). */
function getAsHost(port: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        hostname: "127.0.0.1",
        port,
        path: "/",
        headers: { host, accept: "application/json" },
        rejectUnauthorized: false,
      },
      (response) => {
        let body = "";
        response
          .setEncoding("utf8")
          .on("data", (chunk: string) => (body += chunk))
          .on("end", () => resolve(body));
      },
    );
    request.on("error", reject).end();
  });
}

/** Relative luminance of a CSS `rgb(r, g, b)` colour, 0 (black) to 1 (white). */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number).map((c) => c / 255);
  return 0.2126 * (r ?? 1) + 0.7152 * (g ?? 1) + 0.0722 * (b ?? 1);
}
