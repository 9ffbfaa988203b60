/**
 * The quota in sight and the fallbacks on the page (#23): per route, the fallbacks' hosts (public: they are no
 * secret), and once the route's registry sent rate-limit headers, the values it last sent and whose quota they count
 * (the owner's account, or anonymous: one egress IP's count). A malformed UPSTREAM_FALLBACKS is named on the page.
 */
import { describe, expect, it, vi } from "vitest";
import { ACCOUNT, ANONYMOUS, bearer, fakeHub, freshRepository } from "../support/fake-registry";
import { callWorker } from "../support/fake-upstream";

const BROWSER = { accept: "text/html,application/xhtml+xml" };
const JSON_ACCEPT = { accept: "application/json" };

interface Described {
  routes: { route: string; fallbacks: string[]; rateLimit?: Record<string, unknown> }[];
}

async function describeRoutes(vars: Record<string, unknown> = {}): Promise<Described["routes"]> {
  const response = await callWorker("https://mirror.example.org/", { headers: JSON_ACCEPT }, vars);
  return ((await response.json()) as Described).routes;
}

const route = (routes: Described["routes"], name: string) => routes.find((r) => r.route === name);

describe("fallbacks on the page", () => {
  it("Docker Hub's default list is mirror.gcr.io; other routes have none", async () => {
    const routes = await describeRoutes();
    expect(route(routes, "docker")?.fallbacks).toEqual(["mirror.gcr.io"]);
    expect(route(routes, "ghcr")?.fallbacks).toEqual([]);
    const html = await (await callWorker("https://mirror.example.org/", { headers: BROWSER })).text();
    expect(html).toContain("falls back to mirror.gcr.io");
  });

  it("an ordered list shows in order, by host; an empty list shows none", async () => {
    const listed = await describeRoutes({
      UPSTREAM_FALLBACKS: '{"docker": [], "ghcr": ["https://one.example", "https://two.example:8443"]}',
    });
    expect(route(listed, "docker")?.fallbacks).toEqual([]);
    expect(route(listed, "ghcr")?.fallbacks).toEqual(["one.example", "two.example:8443"]);
    const html = await (
      await callWorker("https://mirror.example.org/", { headers: BROWSER }, { UPSTREAM_FALLBACKS: '{"docker": []}' })
    ).text();
    expect(html).not.toContain("falls back to");
  });

  it.each([
    ['{"docker": ["https://mirror.gcr.io", 3]}', "must be a registry origin"],
    ['{"docker": "mirror.gcr.io"}', "must be a registry origin"],
    ['{"docker": ["https://mirror.gcr.io", "https://mirror.gcr.io"]}', "lists one origin twice"],
    ['{"nosuch": ["https://mirror.gcr.io"]}', "names no route"],
  ])("a malformed UPSTREAM_FALLBACKS (%s) is named on the page and in its JSON", async (value, problem) => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const vars = { UPSTREAM_FALLBACKS: value };
    const page = await callWorker("https://mirror.example.org/", { headers: BROWSER }, vars);
    expect(page.status).toBe(500);
    const html = await page.text();
    expect(html).toContain("mirror misconfigured: UPSTREAM_FALLBACKS");
    expect(html).toContain(problem);
    const json = await callWorker("https://mirror.example.org/", { headers: JSON_ACCEPT }, vars);
    expect(((await json.json()) as { error: { message: string } }).error.message).toContain(problem);
  });
});

describe("the quota in sight", () => {
  it("shows nothing before the route's registry said anything", async () => {
    expect(route(await describeRoutes(), "docker")?.rateLimit).toBeUndefined();
  });

  it("shows the values Docker Hub last sent for an anonymous pull, labelled as one egress IP's", async () => {
    // Docker Hub names an anonymous pull's source by the IP it counts it against.
    fakeHub({
      registry: (_request, url) =>
        url.pathname === "/v2/"
          ? undefined
          : new Response("manifest", {
              headers: {
                "ratelimit-limit": "100;w=21600",
                "ratelimit-remaining": "99;w=21600",
                "docker-ratelimit-source": "203.0.113.7",
              },
            }),
    });
    const path = `/v2/${freshRepository()}/manifests/latest`;
    const pulled = await callWorker(`https://mirror.example.org${path}`, {
      headers: { authorization: bearer(ANONYMOUS, path) },
    });
    await pulled.body?.cancel();
    const seen = route(await describeRoutes(), "docker")?.rateLimit;
    expect(seen).toMatchObject({ limit: 100, remaining: 99, windowSeconds: 21600, whose: "anonymous" });
    expect(Date.now() - Date.parse(String(seen?.seenAt))).toBeLessThan(60_000);
    const html = await (await callWorker("https://mirror.example.org/", { headers: BROWSER })).text();
    expect(html).toContain("quota last seen: 99 of 100 left per 6 h");
    expect(html).toContain("anonymous, counted per egress IP, which varies at the edge");
    // The Chinese page says it in Chinese, with the same figures.
    const zh = await (
      await callWorker("https://mirror.example.org/", { headers: { ...BROWSER, "accept-language": "zh-CN" } })
    ).text();
    expect(zh).toContain("最近一次看到的配额：剩余 99 / 100（每 6 h）");
    expect(zh).toContain("匿名，按出口 IP 计数");
    expect(zh).not.toContain("quota last seen");
  });

  it("says the quota is the owner's account when the Worker pulled with it", async () => {
    fakeHub();
    const vars = {
      DOCKERHUB_USERNAME: ACCOUNT.username,
      DOCKERHUB_TOKEN: ACCOUNT.password,
      SHARE_UPSTREAM_CREDENTIALS: "true",
    };
    const pulled = await callWorker(`https://mirror.example.org/v2/${freshRepository()}/manifests/latest`, {}, vars);
    await pulled.body?.cancel();
    expect(route(await describeRoutes(vars), "docker")?.rateLimit).toMatchObject({ remaining: 99, whose: "owner" });
    const html = await (await callWorker("https://mirror.example.org/", { headers: BROWSER }, vars)).text();
    expect(html).toContain("(the owner&#39;s account)");
  });

  it("keeps no quota of a client's own account (Docker Hub names an account, not an IP): not the page's business", async () => {
    const hub = fakeHub();
    const path = `/v2/${freshRepository()}/manifests/latest`;
    const own = `Bearer ${hub.issue("someone", path.split("/").slice(2, 4).join("/"))}`;
    const pulled = await callWorker(`https://mirror.example.org${path}`, { headers: { authorization: own } });
    await pulled.body?.cancel();
    expect(route(await describeRoutes(), "docker")?.rateLimit).toBeUndefined();
  });
});
