/**
 * The whole Worker under generated abuse: arbitrary requests against a well-behaved imitation of every built-in
 * upstream, and arbitrary Location and WWW-Authenticate headers from upstreams. Each property runs thousands of
 * cases from a fixed seed (see PROPERTY_RUNS).
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseChallenge } from "../../src/challenge";
import { parseConfig } from "../../src/config";
import { rewriteScope } from "../../src/reference";
import type { Upstream } from "../../src/registries";
import {
  anyHost, anyPath, anyQuery, anyScope, headerValue, invalidDigest, invalidName, invalidReference, PROPERTY_RUNS,
  PROPERTY_TIMEOUT_MS, validDigest, validName, validTag,
} from "./arbitraries";
import { callWorker, fakeUpstreams, type SentRequest } from "./fake-upstream";

const upstreams = [...parseConfig({}).upstreams.values()];
const CLIENT_TOKEN = "Bearer client-secret";
const CLIENT_BASIC = "Basic Y2xpZW50OnNlY3JldA==";

// Each case installs its own fake fetch over the last one; the Worker's error log for the 502s that generated
// upstream garbage earns would fill the output with thousands of lines.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The hosts of one upstream in the imitation: its registry, its token realm, and the CDN its blobs redirect to. */
interface World {
  registry: string;
  realm: string;
  cdn: string;
  upstream: Upstream;
}

function worldOf(upstream: Upstream): World {
  const registry = new URL(upstream.registry).host;
  return { upstream, registry, realm: upstream.realm ? new URL(upstream.realm).host : registry, cdn: `blobs.${upstream.name}.cdn.test` };
}
const worlds = upstreams.map(worldOf);

function ociError(status: number, code: string, headers: Record<string, string> = {}): Response {
  return Response.json({ errors: [{ code, message: code.toLowerCase() }] }, { status, headers });
}

/** A registry that behaves: challenges without a token, serves manifests, redirects blobs to its CDN. */
function wellBehavedRegistry(world: World) {
  return (request: Request, url: URL): Response => {
    const realm = world.upstream.realm ?? `https://${world.registry}/token`;
    if (url.pathname === "/token") return Response.json({ token: "t" });
    if (!request.headers.has("authorization")) {
      return ociError(401, "UNAUTHORIZED", { "www-authenticate": `Bearer realm="${realm}",service="${world.registry}"` });
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === "/v2/") return Response.json({});
    if (/^\/v2\/.+\/tags\/list$/.test(url.pathname)) return Response.json({ name: "x", tags: ["1"] });
    if (match?.[2] === "blobs") return new Response(null, { status: 307, headers: { location: `https://${world.cdn}/data?sig=1` } });
    if (match) return new Response(request.method === "HEAD" ? null : "{}", { headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } });
    return ociError(404, "NAME_UNKNOWN");
  };
}

/** Handlers for every built-in upstream's registry, realm and CDN. */
function imitateEveryUpstream() {
  const handlers: Record<string, (request: Request, url: URL) => Response> = {};
  for (const world of worlds) {
    handlers[world.registry] = wellBehavedRegistry(world);
    handlers[world.realm] ??= () => Response.json({ token: "t" });
    handlers[world.cdn] = (request) =>
      request.headers.has("authorization") ? new Response("<Error>one auth mechanism</Error>", { status: 400 }) : new Response("layer");
  }
  return fakeUpstreams(handlers);
}

function ownerOf(host: string): World | undefined {
  return worlds.find((w) => w.registry === host || w.realm === host || w.cdn === host);
}

/** Asserts the answer is a well-formed HTTP response, and that an error the Worker made is OCI JSON. */
async function expectWellFormed(response: Response, method: string): Promise<void> {
  expect(response).toBeInstanceOf(Response);
  expect(response.status).toBeGreaterThanOrEqual(200);
  expect(response.status).toBeLessThan(600);
  if (response.status < 400 || method === "HEAD") {
    await response.body?.cancel();
    return;
  }
  expect(response.headers.get("content-type")).toContain("application/json");
  const body = (await response.json()) as { errors: { code: unknown; message: unknown }[] };
  expect(body.errors).toHaveLength(1);
  expect(typeof body.errors[0]!.code).toBe("string");
  expect(typeof body.errors[0]!.message).toBe("string");
}

/** The client's credentials went only to the registry or realm of one upstream, never to blob storage. */
function expectCredentialsStayHome(sent: SentRequest[]): void {
  const credentialed = sent.filter((r) => [CLIENT_TOKEN, CLIENT_BASIC].includes(r.headers.get("authorization") ?? ""));
  for (const r of credentialed) {
    const world = ownerOf(r.url.host);
    expect(world && r.url.host !== world.cdn).toBe(true);
  }
  expect(new Set(sent.map((r) => ownerOf(r.url.host)?.upstream.name)).size).toBeLessThanOrEqual(1);
  expect(sent.filter((r) => ownerOf(r.url.host)?.cdn === r.url.host && r.headers.has("authorization"))).toEqual([]);
}

const method = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("GET", "HEAD") },
  { weight: 1, arbitrary: fc.constantFrom("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND") },
);
const authorization = fc.constantFrom(undefined, CLIENT_TOKEN, CLIENT_BASIC);

function requestFor(m: string, href: string, auth: string | undefined, body?: string): Request | undefined {
  try {
    const headers = new Headers(auth ? { authorization: auth } : {});
    return new Request(href, { method: m, headers, ...(body !== undefined && !["GET", "HEAD"].includes(m) ? { body } : {}) });
  } catch {
    return undefined; // not a request a client could send
  }
}

describe("arbitrary requests against well-behaved upstreams", () => {
  it("always answer well-formed, never 5xx, fetch only the routed upstream's hosts and keep credentials home", { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(method, anyHost, anyPath, anyQuery, authorization, fc.string({ maxLength: 64 }), async (m, host, path, query, auth, body) => {
        const request = requestFor(m, `https://${host}${path}${query}`, auth, body);
        if (!request) return;
        const fake = imitateEveryUpstream();
        const response = await callWorker(request);
        expect(fake.unexpected).toEqual([]);
        expect(response.status).toBeLessThan(500);
        await expectWellFormed(response, m);
        expectCredentialsStayHome(fake.sent);
      }),
      PROPERTY_RUNS,
    );
  });

  it("an invalid repository name, tag or digest never reaches an upstream", { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    const bad = fc.oneof(
      fc.tuple(invalidName, validTag).map(([n, t]) => `${n}/manifests/${t}`),
      fc.tuple(invalidName, validDigest).map(([n, d]) => `${n}/blobs/${d}`),
      fc.tuple(validName, invalidReference).map(([n, r]) => `${n}/manifests/${r}`),
      fc.tuple(validName, invalidDigest, fc.constantFrom("blobs", "referrers")).map(([n, d, kind]) => `${n}/${kind}/${d}`),
    );
    const prefix = fc.constantFrom("", "docker.io/", "ghcr.io/", "quay.io/");
    const ns = fc.constantFrom("", "?ns=docker.io", "?ns=ghcr.io");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET", "HEAD"), anyHost, prefix, bad, ns, async (m, host, p, rest, q) => {
        const request = requestFor(m, `https://${host}/v2/${p}${rest}${q}`, CLIENT_TOKEN);
        if (!request) return;
        const fake = imitateEveryUpstream();
        const response = await callWorker(request);
        expect(fake.sent).toEqual([]);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        await expectWellFormed(response, m);
      }),
      PROPERTY_RUNS,
    );
  });

  it("/token forwards any scope to the route's own realm only, already in the upstream's naming, without ns", { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    const route = fc.constantFrom("docker.example.com", "example.com", "ghcr.example.com", "example.com/token?ns=quay.io&x=", "k8s.example.com");
    await fc.assert(
      fc.asyncProperty(route, fc.array(anyScope, { maxLength: 3 }), fc.boolean(), async (where, scopes, post) => {
        const base = where.includes("/token") ? `https://${where}` : `https://${where}/token?`;
        const query = scopes.map((s) => `scope=${encodeURIComponent(s)}`).join("&");
        const form = new URLSearchParams([["grant_type", "password"], ...scopes.map((s): [string, string] => ["scope", s])]).toString();
        const request = post
          ? new Request(base, { method: "POST", body: form, headers: { authorization: CLIENT_BASIC, "content-type": "application/x-www-form-urlencoded" } })
          : new Request(`${base}&${query}`, { headers: { authorization: CLIENT_BASIC } });
        const fake = imitateEveryUpstream();
        const response = await callWorker(request);
        expect(fake.unexpected).toEqual([]);
        await expectWellFormed(response, request.method);
        expectCredentialsStayHome(fake.sent);
        const toRealm = fake.sent.at(-1)!;
        const world = ownerOf(toRealm.url.host)!;
        const forwarded = post ? new URLSearchParams(toRealm.body) : toRealm.url.searchParams;
        expect(forwarded.has("ns")).toBe(false);
        for (const scope of forwarded.getAll("scope").flatMap((s) => s.split(" "))) {
          expect(rewriteScope(scope, world.upstream)).toBe(scope);
        }
      }),
      PROPERTY_RUNS,
    );
  });
});

const redirectStatus = fc.constantFrom(301, 302, 303, 307, 308);
const location = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    "https://blobs.docker.cdn.test/data?sig=1", "https://registry-1.docker.io/v2/elsewhere", "/v2/relative", "relative", "?q=1",
    "//cdn.other.test/x", "javascript:alert(1)", "data:text/plain,hi", "file:///etc/passwd", "ftp://cdn.test/x",
    "https://user:pass@cdn.test/x", "http://[::1]/x", "https://127.0.0.1:1/x", "", " ", "https://", "http://%zz/", "\\\\evil.test\\x",
  ),
  headerValue(fc.string({ maxLength: 40 })),
);

describe("arbitrary redirects from an upstream", () => {
  it("are followed exactly where they point, at most 5 hops, with Authorization dropped at the first origin change", { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(redirectStatus, location), { minLength: 1, maxLength: 8 }), fc.constantFrom("GET", "HEAD"), async (chain, m) => {
        let hop = 0;
        const fake = fakeUpstreams({
          "*": () => {
            const next = chain[hop++];
            return next ? new Response("moved", { status: next[0], headers: { location: next[1] } }) : new Response("layer");
          },
        });
        const response = await callWorker(`https://example.com/v2/alpine/blobs/sha256:${"a".repeat(64)}`, { method: m, headers: { authorization: CLIENT_TOKEN } });
        expect(response.status).not.toBe(500);
        await expectWellFormed(response, m);
        expect(fake.sent.length).toBeLessThanOrEqual(6);
        expect(fake.sent[0]!.url.href).toBe(`https://registry-1.docker.io/v2/library/alpine/blobs/sha256:${"a".repeat(64)}`);
        let sameOrigin = true;
        for (let i = 1; i < fake.sent.length; i++) {
          const expected = new URL(chain[i - 1]![1], fake.sent[i - 1]!.url);
          expect(fake.sent[i]!.url.href).toBe(expected.href);
          expect(["http:", "https:"]).toContain(expected.protocol);
          sameOrigin &&= expected.origin === fake.sent[0]!.url.origin;
          expect(fake.sent[i]!.headers.get("authorization")).toBe(sameOrigin ? CLIENT_TOKEN : null);
        }
      }),
      PROPERTY_RUNS,
    );
  });
});

const challengeHeader = headerValue(
  fc.oneof(
    fc
      .tuple(fc.constantFrom("Bearer", "bearer", "Basic", "Negotiate", ""), fc.dictionary(fc.constantFrom("realm", "service", "scope", "error", "__proto__", "x"), fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 }), fc.constantFrom("/token", "javascript:x", "https://evil.test/token")), { maxKeys: 4 }))
      .map(([scheme, params]) => `${scheme} ${Object.entries(params).map(([k, v]) => `${k}="${v.replace(/["\\]/g, "\\$&")}"`).join(",")}`),
    fc.string({ maxLength: 60 }),
  ),
);
const realmAnswer = fc.constantFrom(
  () => Response.json({ token: "target-token" }),
  () => Response.json({ access_token: "target-token" }),
  () => Response.json({}),
  () => new Response("not json"),
  () => Response.json({ details: "unavailable" }, { status: 503 }),
  () => new Response(null, { status: 401 }),
);

const ghcr = worlds.find((w) => w.upstream.name === "ghcr")!;

/**
 * Fakes these hosts for a ghcr case. Realms are remembered per isolate, so first a relayed challenge naming ghcr's
 * real realm resets whatever earlier cases taught.
 */
async function freshGhcr(hosts: Parameters<typeof fakeUpstreams>[0]): Promise<ReturnType<typeof fakeUpstreams>> {
  fakeUpstreams({ "ghcr.io": wellBehavedRegistry(ghcr) });
  await (await callWorker("https://ghcr.example.com/v2/")).body?.cancel();
  return fakeUpstreams(hosts);
}

/** A client asking ghcr's route for a token with its own credentials. */
function tokenWithCredentials(): Promise<Response> {
  return callWorker("https://ghcr.example.com/token?scope=repository:o/i:pull", { headers: { authorization: CLIENT_BASIC } });
}

describe("arbitrary WWW-Authenticate headers", () => {
  it("from the registry: a Bearer realm is pointed at this Worker, anything else passes unchanged, nothing extra is fetched", { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    const host = fc.constantFrom("example.com", "ghcr.example.com", "quay.example.com");
    await fc.assert(
      fc.asyncProperty(host, challengeHeader, async (h, header) => {
        const fake = fakeUpstreams({ "*": () => new Response(null, { status: 401, headers: { "www-authenticate": header } }) });
        const response = await callWorker(`https://${h}/v2/o/i/manifests/1`);
        expect(response.status).toBe(401);
        expect(fake.sent).toHaveLength(1);
        const original = parseChallenge(header);
        const relayed = response.headers.get("www-authenticate")!;
        if (original?.scheme === "bearer" && original.params.realm) {
          expect(parseChallenge(relayed)).toEqual({ scheme: "bearer", params: { ...original.params, realm: `https://${h}/token` } });
        } else {
          expect(relayed).toBe(header);
        }
      }),
      PROPERTY_RUNS,
    );
  });

  it("then /token goes to an http(s) realm the registry itself named (or asks its /v2/), and never answers 500", { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(challengeHeader, realmAnswer, async (header, answer) => {
        const named = new Set(["ghcr.io"]);
        const fake = await freshGhcr({
          "ghcr.io": (request, url) => (url.pathname === "/v2/o/i/manifests/1" ? new Response(null, { status: 401, headers: { "www-authenticate": header } }) : wellBehavedRegistry(ghcr)(request, url)),
          "*": answer,
        });
        const realm = parseChallenge(header)?.params.realm;
        if (realm && /^https?:\/\//i.test(realm)) named.add(new URL(realm).host);
        await (await callWorker("https://ghcr.example.com/v2/o/i/manifests/1")).body?.cancel();
        const response = await tokenWithCredentials();
        // A realm's own error passes through as the realm wrote it; the mirror's own failure would be a 500.
        expect(response.status).not.toBe(500);
        await response.body?.cancel();
        for (const r of fake.sent.slice(1)) {
          expect(["http:", "https:"]).toContain(r.url.protocol);
          expect([...named, ...(r.headers.has("authorization") ? [] : ["ghcr.io"])]).toContain(r.url.host);
        }
      }),
      PROPERTY_RUNS,
    );
  });

  it("from a redirect target: its realm gets no client credentials, now or at a later /token, and the answer is never 500", { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(challengeHeader, realmAnswer, async (header, answer) => {
        const fake = await freshGhcr({
          "ghcr.io": wellBehavedRegistry(ghcr),
          [ghcr.cdn]: (request) => (request.headers.get("authorization") === "Bearer target-token" ? new Response("layer") : new Response(null, { status: 401, headers: { "www-authenticate": header } })),
          "*": answer,
        });
        const blob = await callWorker(`https://ghcr.example.com/v2/o/i/blobs/sha256:${"b".repeat(64)}`, { headers: { authorization: CLIENT_TOKEN } });
        expect(blob.status).not.toBe(500);
        await expectWellFormed(blob, "GET");
        const token = await tokenWithCredentials();
        expect(token.status).toBe(200);
        await token.body?.cancel();
        for (const r of fake.sent) {
          if (r.url.host !== "ghcr.io") expect(`${r.url.host}: ${r.headers.get("authorization") ?? "none"}`).toMatch(/: (none|Bearer target-token)$/);
        }
      }),
      PROPERTY_RUNS,
    );
  });
});

