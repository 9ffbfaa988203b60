// A configuration that does not parse is shown where the owner looks: the page at `/` (HTML and JSON) and one log
// line at the first request, while every registry request still fails with the 500 that names the variable.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../../src/index";
import { callWorker } from "../support/fake-upstream";

const BROWSER = { accept: "text/html" };

/** Three requests through one set of bindings, as one isolate serves them. */
async function threeRequests(
  vars: Record<string, string>,
): Promise<{ page: Response; json: Response; registry: Response; logged: string[] }> {
  const errors = vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "log").mockImplementation(() => {});
  const bindings = { ...env, ...vars } as typeof env;
  const call = (url: string, headers: Record<string, string> = {}) =>
    worker.fetch(
      new Request(url, { headers }) as Parameters<typeof worker.fetch>[0],
      bindings,
      createExecutionContext(),
    );
  const page = await call("https://mirror.example.org/", BROWSER);
  const json = await call("https://mirror.example.org/");
  const registry = await call("https://mirror.example.org/v2/library/alpine/manifests/latest");
  const logged = errors.mock.calls
    .map(([line]) => String(line))
    .filter((line) => line.includes('"configuration error"'));
  return { page, json, registry, logged };
}

describe("a malformed configuration", () => {
  it("is named on the page at /, in its JSON, in one log line, and in every registry request's 500", async () => {
    const { page, json, registry, logged } = await threeRequests({ TAG_TTL_SECONDS: "soon" });
    expect(page.status).toBe(500);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).toContain("This mirror is misconfigured");
    expect(html).toContain("mirror misconfigured: TAG_TTL_SECONDS must be a number of seconds");
    expect(html).toContain("npm run check");
    expect(json.status).toBe(500);
    expect(await json.json()).toMatchObject({
      name: "edgehub",
      error: { code: "UNKNOWN", message: expect.stringContaining("TAG_TTL_SECONDS") },
    });
    expect(registry.status).toBe(500);
    expect(JSON.stringify(await registry.json())).toContain("TAG_TTL_SECONDS");
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toEqual({
      msg: "configuration error",
      error: expect.stringContaining("TAG_TTL_SECONDS"),
    });
  });

  it("DOCKERHUB_TOKEN set alone (no users, allow list or sharing) is shown on the page", async () => {
    const { page } = await threeRequests({ DOCKERHUB_USERNAME: "someone", DOCKERHUB_TOKEN: "dckr_pat_x" });
    expect(page.status).toBe(500);
    const html = await page.text();
    expect(html).toContain("DOCKERHUB_TOKEN");
    expect(html).not.toContain("dckr_pat_x"); // the message names the variable, never its value
  });

  it("stays hidden behind a decoy: with HOME_PAGE=nginx, / fails like any path", async () => {
    const response = await callWorker(
      "https://mirror.example.org/",
      { headers: BROWSER },
      { HOME_PAGE: "nginx", TAG_TTL_SECONDS: "soon" },
    );
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("misconfigured</h1>");
  });

  it("MIRROR_HOST and MIRROR_SUBDOMAINS are checked like the rest", async () => {
    for (const [vars, variable] of [
      [{ MIRROR_HOST: "https://mirror.example.org" }, "MIRROR_HOST"],
      [{ MIRROR_SUBDOMAINS: "nosuchroute.example.org" }, "MIRROR_SUBDOMAINS"],
      [{ MIRROR_SUBDOMAINS: "ghcr.example.org,ghcr.example.net" }, "MIRROR_SUBDOMAINS"],
    ] as const) {
      const { json } = await threeRequests(vars);
      expect(((await json.json()) as { error: { message: string } }).error.message).toContain(
        `mirror misconfigured: ${variable}`,
      );
    }
  });
});
