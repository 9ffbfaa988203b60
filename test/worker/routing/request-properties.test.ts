/**
 * The whole Worker under generated requests: arbitrary methods, hosts, paths, queries, credentials and token scopes
 * against a well-behaved imitation of every built-in upstream. Each property runs all its cases (checkProperty fails one cut short).
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../src/config/config";
import { assertEndpointQuery } from "../../../src/routing/query";
import { assertDigest } from "../../../src/routing/reference";
import { routeTokenRequest } from "../../../src/routing/scope";
import {
  anyHost,
  anyPath,
  anyQuery,
  anyScope,
  checkProperty,
  invalidDigest,
  invalidEndpointParameter,
  invalidName,
  invalidReference,
  malformedHost,
  PROPERTY_TIMEOUT_MS,
  unregisteredDigest,
  validDigest,
  validName,
  validTag,
} from "../support/arbitraries";
import { callWorker, withRawUrl } from "../support/fake-upstream";
import {
  CLIENT_BASIC,
  CLIENT_TOKEN,
  expectCredentialsStayHome,
  expectWellFormed,
  imitateEveryUpstream,
  ownerOf,
} from "../support/imitation";

// Each case installs its own fake fetch over the last one; the Worker's error log for the 502s that generated
// upstream garbage earns would fill the output with thousands of lines.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});

const method = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("GET", "HEAD") },
  { weight: 1, arbitrary: fc.constantFrom("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND") },
);
const authorization = fc.constantFrom(undefined, CLIENT_TOKEN, CLIENT_BASIC);

function requestFor(m: string, href: string, auth: string | undefined, body?: string): Request | undefined {
  try {
    const headers = new Headers(auth ? { authorization: auth } : {});
    return new Request(href, {
      method: m,
      headers,
      ...(body !== undefined && !["GET", "HEAD"].includes(m) ? { body } : {}),
    });
  } catch {
    return undefined; // not a request a client could send
  }
}

/** A registry URL the Worker sent: its digest is a registered algorithm's, its query only the endpoint's own, in grammar. */
function expectInGrammar(url: URL): void {
  const object = /^\/v2\/.+\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname);
  if (object && (object[1] !== "manifests" || object[2]!.includes(":"))) assertDigest(object[2]!);
  const kind = /^\/v2\/.+\/tags\/list$/.test(url.pathname)
    ? "tags"
    : object?.[1] === "referrers"
      ? "referrers"
      : undefined;
  if (!kind) return;
  assertEndpointQuery(kind, url.searchParams);
  for (const name of url.searchParams.keys())
    expect(kind === "tags" ? ["n", "last"] : ["artifactType"]).toContain(name);
}

describe("arbitrary requests against well-behaved upstreams", () => {
  it("always answer well-formed, never 5xx, fetch only the routed upstream's hosts and keep credentials home", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    await checkProperty(
      fc.asyncProperty(
        method,
        anyHost,
        anyPath,
        anyQuery,
        authorization,
        fc.string({ maxLength: 64 }),
        async (m, host, path, query, auth, body) => {
          const request = requestFor(m, `https://${host}${path}${query}`, auth, body);
          if (!request) return;
          const fake = imitateEveryUpstream();
          const response = await callWorker(request);
          expect(fake.unexpected).toEqual([]);
          expect(response.status).toBeLessThan(500);
          await expectWellFormed(response, m);
          expectCredentialsStayHome(fake.sent);
          for (const sent of fake.sent) expectInGrammar(sent.url);
        },
      ),
    );
  });

  it("an invalid repository name, tag or digest never reaches an upstream", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const bad = fc.oneof(
      fc.tuple(invalidName, validTag).map(([n, t]) => `${n}/manifests/${t}`),
      fc.tuple(invalidName, validDigest).map(([n, d]) => `${n}/blobs/${d}`),
      fc.tuple(validName, invalidReference).map(([n, r]) => `${n}/manifests/${r}`),
      fc
        .tuple(validName, invalidDigest, fc.constantFrom("blobs", "referrers"))
        .map(([n, d, kind]) => `${n}/${kind}/${d}`),
      fc
        .tuple(validName, unregisteredDigest, fc.constantFrom("blobs", "referrers", "manifests"))
        .map(([n, d, kind]) => `${n}/${kind}/${d}`),
      fc
        .tuple(
          validName,
          invalidEndpointParameter.filter(([k]) => k !== "artifactType"),
        )
        .map(([n, [k, v]]) => `${n}/tags/list?${k}=${encodeURIComponent(v)}`),
      fc
        .tuple(
          validName,
          validDigest,
          invalidEndpointParameter.filter(([k]) => k === "artifactType"),
        )
        .map(([n, d, [k, v]]) => `${n}/referrers/${d}?${k}=${encodeURIComponent(v)}`),
    );
    const prefix = fc.constantFrom("", "docker.io/", "ghcr.io/", "quay.io/");
    const ns = fc.constantFrom("", "?ns=docker.io", "?ns=ghcr.io");
    await checkProperty(
      fc.asyncProperty(fc.constantFrom("GET", "HEAD"), anyHost, prefix, bad, ns, async (m, host, p, rest, q) => {
        const request = requestFor(
          m,
          `https://${host}/v2/${p}${rest}${rest.includes("?") ? q.replace("?", "&") : q}`,
          CLIENT_TOKEN,
        );
        if (!request) return;
        const fake = imitateEveryUpstream();
        const response = await callWorker(request);
        expect(fake.sent).toEqual([]);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        await expectWellFormed(response, m);
      }),
    );
  });

  it("a Host that is no host name is a 400 with nothing fetched, on any path", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    await checkProperty(
      fc.asyncProperty(
        method,
        fc.constantFrom("http", "https"),
        malformedHost,
        anyPath,
        anyQuery,
        async (m, scheme, host, path, query) => {
          const fake = imitateEveryUpstream();
          const response = await callWorker(withRawUrl(`${scheme}://${host}${path}${query}`, { method: m }));
          expect(fake.sent).toEqual([]);
          expect(response.status).toBe(400);
          await expectWellFormed(response, m);
        },
      ),
    );
  });

  it("/token forwards any scope to the route's own realm only, already in the upstream's naming, without ns", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const route = fc.constantFrom(
      "docker.example.com",
      "example.com",
      "ghcr.example.com",
      "example.com/token?ns=quay.io&x=",
      "k8s.example.com",
    );
    await checkProperty(
      fc.asyncProperty(route, fc.array(anyScope, { maxLength: 3 }), fc.boolean(), async (where, scopes, post) => {
        const base = where.includes("/token") ? `https://${where}` : `https://${where}/token?`;
        const query = scopes.map((s) => `scope=${encodeURIComponent(s)}`).join("&");
        const form = new URLSearchParams([
          ["grant_type", "password"],
          ...scopes.map((s): [string, string] => ["scope", s]),
        ]).toString();
        const request = post
          ? new Request(base, {
              method: "POST",
              body: form,
              headers: { authorization: CLIENT_BASIC, "content-type": "application/x-www-form-urlencoded" },
            })
          : new Request(`${base}&${query}`, { headers: { authorization: CLIENT_BASIC } });
        const fake = imitateEveryUpstream();
        const response = await callWorker(request);
        expect(fake.unexpected).toEqual([]);
        await expectWellFormed(response, request.method);
        expectCredentialsStayHome(fake.sent);
        if (response.status === 400) {
          // Scopes naming two registries: refused (well formed, above) before anything goes upstream.
          expect(fake.sent).toEqual([]);
          return;
        }
        const toRealm = fake.sent.at(-1)!;
        const world = ownerOf(toRealm.url.host)!;
        const forwarded = post ? new URLSearchParams(toRealm.body) : toRealm.url.searchParams;
        expect(forwarded.has("ns")).toBe(false);
        for (const scope of forwarded.getAll("scope").flatMap((s) => s.split(" "))) {
          expect(
            routeTokenRequest([scope], { upstream: world.upstream, via: "ns" }, parseConfig({})).rewrite(scope),
          ).toBe(scope);
        }
      }),
    );
  });
});
