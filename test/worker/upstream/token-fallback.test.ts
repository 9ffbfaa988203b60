/**
 * An anonymous client on a route with fallbacks, when the route's token service or its /v2/ check refuses for now
 * (#23): the client's /token gets the placeholder, a registry request carrying it is an anonymous one the Worker
 * authenticates itself, and that request moves on to the chain. The placeholder never leaves the Worker. A client
 * with credentials, or a route without fallbacks, gets the token service's 429 as before.
 */
import { describe, expect, it, vi } from "vitest";
import { PLACEHOLDER_TOKEN } from "../../../src/upstream/placeholder";
import { FALLBACK_TOKEN, fakeFallback } from "../support/fake-fallback";
import { ACCOUNT, ACCOUNT_BASIC, AUTH, fakeHub, freshRepository, makeImage } from "../support/fake-registry";
import { callWorker, postTokenForm } from "../support/fake-upstream";

type HubOptions = NonNullable<Parameters<typeof fakeHub>[0]>;

/** The Hub's token service refusing every request with 429. */
const tokenRefusing = () => new Response("slow down", { status: 429, headers: { "retry-after": "90" } });
/** The Hub refusing every registry request but its /v2/ check with 429. */
const registryRefusing = (_request: Request, url: URL) =>
  url.pathname === "/v2/" ? undefined : new Response("slow down", { status: 429, headers: { "retry-after": "90" } });

async function setUp(hubOptions: Partial<HubOptions> = {}) {
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  const image = await makeImage(freshRepository(), "1");
  const fallback = fakeFallback("mirror.gcr.io", [image]);
  const hub = fakeHub({
    registry: registryRefusing,
    ...hubOptions,
    extra: { [AUTH]: tokenRefusing, ...fallback.hosts, ...hubOptions.extra },
  });
  const manifest = (authorization: string | undefined, vars: Record<string, unknown> = {}) =>
    callWorker(
      `https://example.com/v2/${image.repository}/manifests/${image.digest}`,
      authorization === undefined ? {} : { headers: { authorization } },
      vars,
    );
  return { image, hub, manifest };
}

/** The client's /token as docker asks it after the Worker's challenge: anonymous unless told. */
function askToken(repository: string, init: RequestInit = {}, vars: Record<string, unknown> = {}) {
  const scope = `repository:${repository}:pull`;
  return callWorker(`https://example.com/token?service=registry.docker.io&scope=${scope}`, init, vars);
}

/** No request the Worker sent anywhere carried the placeholder; the fallback saw only its own tokens. */
function expectPlaceholderKept(hub: ReturnType<typeof fakeHub>): void {
  expect(hub.sent.length).toBeGreaterThan(0);
  for (const request of hub.sent) {
    expect(request.headers.get("authorization") ?? "").not.toContain(PLACEHOLDER_TOKEN);
    if (request.url.host === "mirror.gcr.io")
      expect([null, `Bearer ${FALLBACK_TOKEN}`]).toContain(request.headers.get("authorization"));
  }
  expect(hub.unexpected).toEqual([]);
}

describe("an anonymous client when the route's token service refuses for now", () => {
  it("gets the placeholder, and its manifest request is served by the fallback", async () => {
    const { image, hub, manifest } = await setUp();
    const challenge = await callWorker("https://example.com/v2/");
    expect(challenge.status).toBe(401);
    const token = await askToken(image.repository);
    expect(token.status).toBe(200);
    const body = (await token.json()) as { token: string; expires_in: number };
    expect(body.token).toBe(PLACEHOLDER_TOKEN);
    expect(body.expires_in).toBeLessThanOrEqual(60);
    const response = await manifest(`Bearer ${body.token}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(image.manifest);
    expect(response.headers.get("x-edgehub-upstream")).toBe("mirror.gcr.io");
    // The Worker asked the Hub's token service itself, anonymously, before moving on.
    expect(hub.tokenRequests().length).toBeGreaterThan(1);
    expectPlaceholderKept(hub);
  });

  it("gets the placeholder from the OAuth2 POST too, under access_token", async () => {
    const { image, hub } = await setUp();
    const response = await postTokenForm("https://example.com/token", {
      grant_type: "client_credentials",
      service: "registry.docker.io",
      scope: `repository:${image.repository}:pull`,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { access_token: string }).access_token).toBe(PLACEHOLDER_TOKEN);
    expectPlaceholderKept(hub);
  });

  it("gets the token service's 429 with Retry-After when the route has no fallbacks", async () => {
    const { image } = await setUp();
    const response = await askToken(image.repository, {}, { UPSTREAM_FALLBACKS: '{"docker": []}' });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("90");
    expect(await response.text()).not.toContain(PLACEHOLDER_TOKEN);
  });

  it("a client with credentials (docker login) gets the 429, never the placeholder", async () => {
    const { image, hub } = await setUp();
    const response = await askToken(image.repository, { headers: { authorization: ACCOUNT_BASIC } });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("90");
    expect(await response.text()).not.toContain(PLACEHOLDER_TOKEN);
    expect(hub.tokenRequests()[0]?.headers.get("authorization")).toBe(ACCOUNT_BASIC);
    const form = await postTokenForm("https://example.com/token", {
      grant_type: "password",
      username: ACCOUNT.username,
      password: ACCOUNT.password,
      service: "registry.docker.io",
      scope: `repository:${image.repository}:pull`,
    });
    expect(form.status).toBe(429);
  });

  it("a token service that answers again gives real tokens: the placeholder is only for refusals", async () => {
    const { image, hub } = await setUp({ extra: { [AUTH]: () => Response.json({ token: "real", expires_in: 300 }) } });
    const response = await askToken(image.repository);
    expect(((await response.json()) as { token: string }).token).toBe("real");
    expect(hub.tokenRequests()).toHaveLength(1);
  });
});

describe("the Worker's own /v2/ check refusing for now, in a fresh isolate", () => {
  const v2 = (answer: () => Response) => (_request: Request, url: URL) =>
    url.pathname === "/v2/" ? answer() : registryRefusing(_request, url);
  const owner = { DOCKERHUB_USERNAME: ACCOUNT.username, DOCKERHUB_TOKEN: ACCOUNT.password };

  it.each([
    ["answers 503, for a client holding the placeholder", () => new Response(null, { status: 503 }), false],
    ["answers 503, with the owner's credentials", () => new Response(null, { status: 503 }), true],
    [
      "cannot be reached, for a client holding the placeholder",
      () => {
        throw new TypeError("connection refused");
      },
      false,
    ],
  ])("moves on to the fallbacks when it %s", async (_label, answer, withOwner) => {
    const { image, hub, manifest } = await setUp({ registry: v2(answer) });
    const vars = withOwner ? { ...owner, SHARE_UPSTREAM_CREDENTIALS: "true" } : {};
    const response = await manifest(withOwner ? undefined : `Bearer ${PLACEHOLDER_TOKEN}`, vars);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(image.manifest);
    expect(response.headers.get("x-edgehub-upstream")).toBe("mirror.gcr.io");
    expect(hub.registryRequests()).toEqual([]);
    expectPlaceholderKept(hub);
  });

  it("with no fallbacks, a 503 /v2/ check is still a 502", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { manifest } = await setUp({ registry: v2(() => new Response(null, { status: 503 })) });
    const response = await manifest(`Bearer ${PLACEHOLDER_TOKEN}`, { UPSTREAM_FALLBACKS: '{"docker": []}' });
    expect(response.status).toBe(502);
  });
});
