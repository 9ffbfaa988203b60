/**
 * The whole Worker under generated upstream headers: arbitrary Location chains and WWW-Authenticate challenges, from
 * the registry and from a redirect target. Each property runs all its cases (checkProperty fails one cut short).
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { parseChallenge } from "../../../src/core/challenge";
import { checkProperty, headerValue, PROPERTY_TIMEOUT_MS } from "../support/arbitraries";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";
import { CLIENT_BASIC, CLIENT_TOKEN, expectWellFormed, wellBehavedRegistry, worlds } from "../support/imitation";

/** The two properties that take a redirect chain or a relayed challenge per case: half the cases fit the time bound. */
const SLOW_PROPERTY_RUNS = 1_000;

// Each case installs its own fake fetch over the last one; the Worker's error log for the 502s that generated
// upstream garbage earns would fill the output with thousands of lines.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});

const redirectStatus = fc.constantFrom(301, 302, 303, 307, 308);
const location = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    "https://blobs.docker.cdn.test/data?sig=1",
    "https://registry-1.docker.io/v2/elsewhere",
    "/v2/relative",
    "relative",
    "?q=1",
    "//cdn.other.test/x",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "file:///etc/passwd",
    "ftp://cdn.test/x",
    "https://user:pass@cdn.test/x",
    "http://[::1]/x",
    "https://127.0.0.1:1/x",
    "",
    " ",
    "https://",
    "http://%zz/",
    "\\\\evil.test\\x",
  ),
  headerValue(fc.string({ maxLength: 40 })),
);

const BLOB_URL = `https://registry-1.docker.io/v2/library/alpine/blobs/sha256:${"a".repeat(64)}`;
/** The registry behind each client host of the WWW-Authenticate property. */
const REGISTRY_OF: Record<string, string> = {
  "example.com": "registry-1.docker.io",
  "ghcr.example.com": "ghcr.io",
  "quay.example.com": "quay.io",
};

/** Every http(s) host a redirect chain can reach from `start` (each Location resolved against the one before). */
function chainHosts(start: string, locations: string[]): string[] {
  const hosts = new Set([new URL(start).host]);
  let current = start;
  for (const location of locations) {
    try {
      const next = new URL(location, current);
      if (next.protocol !== "http:" && next.protocol !== "https:") break;
      hosts.add(next.host);
      current = next.href;
    } catch {
      break;
    }
  }
  return [...hosts];
}

/** The realm's host, answering `answer`, when a challenge names an http(s) realm: no other host is expected. */
function realmHostOf(header: string, answer: () => Response): Record<string, () => Response> {
  const realm = parseChallenge(header)?.params.realm;
  if (!realm || !/^https?:\/\//i.test(realm)) return {};
  try {
    return { [new URL(realm).host]: answer };
  } catch {
    return {};
  }
}

describe("arbitrary redirects from an upstream", () => {
  it("are followed exactly where they point, at most 5 hops, with Authorization dropped at the first origin change", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.tuple(redirectStatus, location), { minLength: 1, maxLength: 8 }),
        fc.constantFrom("GET", "HEAD"),
        async (chain, m) => {
          let hop = 0;
          const answer = () => {
            const next = chain[hop++];
            return next
              ? new Response("moved", { status: next[0], headers: { location: next[1] } })
              : new Response("layer");
          };
          const fake = fakeUpstreams(
            Object.fromEntries(
              chainHosts(
                BLOB_URL,
                chain.map(([, l]) => l),
              ).map((host) => [host, answer]),
            ),
          );
          const response = await callWorker(`https://example.com/v2/alpine/blobs/sha256:${"a".repeat(64)}`, {
            method: m,
            headers: { authorization: CLIENT_TOKEN },
          });
          expect(fake.unexpected).toEqual([]);
          expect(response.status).not.toBe(500);
          await expectWellFormed(response, m);
          expect(fake.sent.length).toBeLessThanOrEqual(6);
          expect(fake.sent[0]!.url.href).toBe(
            `https://registry-1.docker.io/v2/library/alpine/blobs/sha256:${"a".repeat(64)}`,
          );
          let sameOrigin = true;
          for (let i = 1; i < fake.sent.length; i++) {
            const expected = new URL(chain[i - 1]![1], fake.sent[i - 1]!.url);
            expect(fake.sent[i]!.url.href).toBe(expected.href);
            expect(["http:", "https:"]).toContain(expected.protocol);
            sameOrigin &&= expected.origin === fake.sent[0]!.url.origin;
            expect(fake.sent[i]!.headers.get("authorization")).toBe(sameOrigin ? CLIENT_TOKEN : null);
          }
        },
      ),
      SLOW_PROPERTY_RUNS,
    );
  });
});

const challengeHeader = headerValue(
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom("Bearer", "bearer", "Basic", "Negotiate", ""),
        fc.dictionary(
          fc.constantFrom("realm", "service", "scope", "error", "__proto__", "x"),
          fc.oneof(
            fc.webUrl(),
            fc.string({ maxLength: 20 }),
            fc.constantFrom("/token", "javascript:x", "https://evil.test/token"),
          ),
          { maxKeys: 4 },
        ),
      )
      .map(
        ([scheme, params]) =>
          `${scheme} ${Object.entries(params)
            .map(([k, v]) => `${k}="${v.replace(/["\\]/g, "\\$&")}"`)
            .join(",")}`,
      ),
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
  return callWorker("https://ghcr.example.com/token?scope=repository:o/i:pull", {
    headers: { authorization: CLIENT_BASIC },
  });
}

describe("arbitrary WWW-Authenticate headers", () => {
  it("from the registry: a Bearer realm is pointed at this Worker, anything else passes unchanged, nothing extra is fetched", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const host = fc.constantFrom("example.com", "ghcr.example.com", "quay.example.com");
    await checkProperty(
      fc.asyncProperty(host, challengeHeader, async (h, header) => {
        const fake = fakeUpstreams({
          [REGISTRY_OF[h]!]: () => new Response(null, { status: 401, headers: { "www-authenticate": header } }),
        });
        const response = await callWorker(`https://${h}/v2/o/i/manifests/1`);
        expect(response.status).toBe(401);
        expect(fake.sent).toHaveLength(1);
        const original = parseChallenge(header);
        const relayed = response.headers.get("www-authenticate")!;
        if (original?.scheme === "bearer" && original.params.realm) {
          expect(parseChallenge(relayed)).toEqual({
            scheme: "bearer",
            params: { ...original.params, realm: `https://${h}/token` },
          });
        } else {
          expect(relayed).toBe(header);
        }
      }),
    );
  });

  it("then /token goes to an http(s) realm the registry itself named (or asks its /v2/), and never answers 500", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    await checkProperty(
      fc.asyncProperty(challengeHeader, realmAnswer, async (header, answer) => {
        const named = new Set(["ghcr.io"]);
        const fake = await freshGhcr({
          ...realmHostOf(header, answer),
          "ghcr.io": (request, url) =>
            url.pathname === "/v2/o/i/manifests/1"
              ? new Response(null, { status: 401, headers: { "www-authenticate": header } })
              : wellBehavedRegistry(ghcr)(request, url),
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
    );
  });

  it("from a redirect target: its realm gets no client credentials, now or at a later /token, and the answer is never 500", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    await checkProperty(
      fc.asyncProperty(challengeHeader, realmAnswer, async (header, answer) => {
        const fake = await freshGhcr({
          ...realmHostOf(header, answer),
          "ghcr.io": wellBehavedRegistry(ghcr),
          [ghcr.cdn]: (request) =>
            request.headers.get("authorization") === "Bearer target-token"
              ? new Response("layer")
              : new Response(null, { status: 401, headers: { "www-authenticate": header } }),
        });
        const blob = await callWorker(`https://ghcr.example.com/v2/o/i/blobs/sha256:${"b".repeat(64)}`, {
          headers: { authorization: CLIENT_TOKEN },
        });
        expect(blob.status).not.toBe(500);
        await expectWellFormed(blob, "GET");
        const token = await tokenWithCredentials();
        expect(token.status).toBe(200);
        await token.body?.cancel();
        for (const r of fake.sent) {
          if (r.url.host !== "ghcr.io")
            expect(`${r.url.host}: ${r.headers.get("authorization") ?? "none"}`).toMatch(
              /: (none|Bearer target-token)$/,
            );
        }
      }),
      SLOW_PROPERTY_RUNS,
    );
  });
});
