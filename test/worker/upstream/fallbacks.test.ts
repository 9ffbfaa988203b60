/**
 * The chain of upstreams behind a route (UPSTREAM_FALLBACKS, #23): when the route's registry refuses for now (429,
 * 503, unreachable, a 429 from its token service or its /v2/), each fallback is asked in order, as a registry of its
 * own (its own realm and anonymous token), with nobody's credentials; when every member refuses, 429 with the smallest
 * Retry-After. Docker Hub falls back to mirror.gcr.io unless told otherwise.
 */
import { describe, expect, it, vi } from "vitest";
import { FALLBACK_TOKEN, fakeFallback } from "../support/fake-fallback";
import { ACCOUNT, AUTH, fakeHub, freshRepository, HUB, makeImage, TESTER } from "../support/fake-registry";
import { callWorker } from "../support/fake-upstream";

/** The owner's Docker Hub credentials, on a mirror whose owner vouches they read public repositories only. */
const OWNER = {
  DOCKERHUB_USERNAME: ACCOUNT.username,
  DOCKERHUB_TOKEN: ACCOUNT.password,
  SHARE_UPSTREAM_CREDENTIALS: "true",
};

/** The Hub refusing every registry request but its /v2/ check with `status`. */
const refusing =
  (status = 429, retryAfter = "90") =>
  (_request: Request, url: URL) =>
    url.pathname === "/v2/" ? undefined : new Response("slow down", { status, headers: { "retry-after": retryAfter } });

async function setUp(options: { fallbacks?: string[]; hub?: Parameters<typeof fakeHub>[0] } = {}) {
  const logs = vi.spyOn(console, "log").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  const image = await makeImage(freshRepository(), "1");
  const fallbacks = (options.fallbacks ?? ["mirror.gcr.io"]).map((host) => fakeFallback(host, [image]));
  const hub = fakeHub({
    registry: refusing(),
    ...options.hub,
    extra: Object.assign({}, ...fallbacks.map((f) => f.hosts), options.hub?.extra),
  });
  const get = (vars: Record<string, unknown> = {}, path = `manifests/${image.digest}`) =>
    callWorker(`https://example.com/v2/${image.repository}/${path}`, {}, vars);
  return { image, hub, fallbacks, get, logs };
}

/** Every request a fallback host saw carried no credentials but its own anonymous token. */
function expectOnlyOwnTokens(hub: ReturnType<typeof fakeHub>, host: string): void {
  const sent = hub.to(host);
  expect(sent.length).toBeGreaterThan(0);
  for (const request of sent) {
    const authorization = request.headers.get("authorization");
    expect([null, `Bearer ${FALLBACK_TOKEN}`]).toContain(authorization);
    if (request.url.pathname === "/v2/token") expect(authorization).toBeNull();
  }
}

describe("a route's chain of fallbacks", () => {
  it("Docker Hub falls back to mirror.gcr.io by default: its own realm and anonymous token, named to the client", async () => {
    const { image, hub, get, logs } = await setUp();
    const response = await get();
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(image.manifest);
    expect(response.headers.get("x-edgehub-upstream")).toBe("mirror.gcr.io");
    expectOnlyOwnTokens(hub, "mirror.gcr.io");
    const line = logs.mock.calls.find(([text]) => String(text).startsWith('{"method":'));
    expect(JSON.parse(String(line?.[0]))).toMatchObject({ status: 200, fallback: "mirror.gcr.io" });
    // The realm is learned once, from the fallback's own /v2/, and pinned.
    expect((await get({}, `blobs/${image.layerDigest}`)).status).toBe(200);
    expect(hub.to("mirror.gcr.io").filter((r) => r.url.pathname === "/v2/")).toHaveLength(1);
  });

  it("an empty list turns a route's fallbacks off: the client gets the Hub's 429", async () => {
    const { hub, get } = await setUp({ fallbacks: [] });
    const response = await get({ UPSTREAM_FALLBACKS: '{"docker": []}' });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("90");
    expect(response.headers.has("x-edgehub-upstream")).toBe(false);
    expect(hub.unexpected).toEqual([]);
  });

  it("asks each fallback in order, and the first that has it answers", async () => {
    const { image, hub, fallbacks, get } = await setUp({ fallbacks: ["one.example", "two.example"] });
    fallbacks[0]!.state.status = 404;
    const response = await get({ UPSTREAM_FALLBACKS: '{"docker.io": ["https://one.example", "https://two.example"]}' });
    expect(await response.text()).toBe(image.manifest);
    expect(response.headers.get("x-edgehub-upstream")).toBe("two.example");
    const order = hub.sent.map((r) => r.url.host).filter((host) => host.endsWith(".example"));
    expect(order.indexOf("one.example")).toBeLessThan(order.indexOf("two.example"));
    expectOnlyOwnTokens(hub, "two.example");
  });

  it("when every member refuses, the client gets the Hub's 429 with the smallest Retry-After offered", async () => {
    const { fallbacks, get } = await setUp({ fallbacks: ["one.example", "two.example"] });
    fallbacks[0]!.state.status = 429;
    fallbacks[1]!.state.status = 503;
    const response = await get({ UPSTREAM_FALLBACKS: '{"docker": ["https://one.example", "https://two.example"]}' });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("45");
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("TOOMANYREQUESTS");
  });

  it.each([
    ["answers 503", {}],
    ["cannot be reached", {}],
  ])("moves on to the fallbacks when the Hub %s", async (label) => {
    const { image, hub, get } = await setUp({ hub: { registry: refusing(503) } });
    if (label === "cannot be reached") hub.state.failure = "unreachable";
    const response = await get();
    expect(await response.text()).toBe(image.manifest);
    expect(response.headers.get("x-edgehub-upstream")).toBe("mirror.gcr.io");
  });

  // The Worker asks the token service and /v2/ itself when it authenticates: with the owner's credentials.
  it.each([
    [
      "its token service answers 429",
      { registry: () => undefined, extra: { [AUTH]: () => new Response(null, { status: 429 }) } },
    ],
    [
      "its /v2/ check answers 429",
      {
        registry: (_r: Request, url: URL) =>
          url.pathname === "/v2/" ? new Response(null, { status: 429 }) : undefined,
      },
    ],
  ])("moves on to the fallbacks when the Hub's %s", async (_label, hubOptions) => {
    const { image, hub, get } = await setUp({ hub: hubOptions });
    const response = await get(OWNER);
    expect(await response.text()).toBe(image.manifest);
    expect(response.headers.get("x-edgehub-upstream")).toBe("mirror.gcr.io");
    expect(hub.registryRequests()).toEqual([]);
    expectOnlyOwnTokens(hub, "mirror.gcr.io");
  });

  it("with the owner's credentials, the Hub is asked with them first; the fallback never sees them", async () => {
    const { image, hub, get } = await setUp();
    const response = await get(OWNER);
    expect(await response.text()).toBe(image.manifest);
    expect(hub.identityOf(hub.registryRequests()[0]!)).toBe(TESTER);
    expectOnlyOwnTokens(hub, "mirror.gcr.io");
    expect(hub.sent.filter((r) => r.url.host !== HUB && r.url.host !== AUTH).map((r) => r.url.host)).toEqual(
      hub.to("mirror.gcr.io").map(() => "mirror.gcr.io"),
    );
  });
});
