/**
 * The well-behaved imitation of every built-in upstream that the property tests run the Worker against, and the
 * assertions they share: well-formed answers, credentials kept home.
 */
import { expect } from "vitest";
import { parseConfig } from "../../../src/config/config";
import type { Upstream } from "../../../src/config/registries";
import { fakeUpstreams, type SentRequest } from "./fake-upstream";

/** Credentials a generated client sends; they must never leave the upstream they are for. */
export const CLIENT_TOKEN = "Bearer client-secret";
export const CLIENT_BASIC = "Basic Y2xpZW50OnNlY3JldA==";

/** The hosts of one upstream in the imitation: its registry, its token realm, and the CDN its blobs redirect to. */
export interface World {
  registry: string;
  realm: string;
  cdn: string;
  upstream: Upstream;
}

function worldOf(upstream: Upstream): World {
  const registry = new URL(upstream.registry).host;
  return {
    upstream,
    registry,
    realm: upstream.realm ? new URL(upstream.realm).host : registry,
    cdn: `blobs.${upstream.name}.cdn.test`,
  };
}
/** One world per built-in upstream. */
export const worlds = [...parseConfig({}).upstreams.values()].map(worldOf);

function ociError(status: number, code: string, headers: Record<string, string> = {}): Response {
  return Response.json({ errors: [{ code, message: code.toLowerCase() }] }, { status, headers });
}

/** A registry that behaves: challenges without a token, serves manifests, redirects blobs to its CDN. */
export function wellBehavedRegistry(world: World) {
  return (request: Request, url: URL): Response => {
    const realm = world.upstream.realm ?? `https://${world.registry}/token`;
    if (url.pathname === "/token") return Response.json({ token: "t" });
    if (!request.headers.has("authorization")) {
      return ociError(401, "UNAUTHORIZED", {
        "www-authenticate": `Bearer realm="${realm}",service="${world.registry}"`,
      });
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === "/v2/") return Response.json({});
    if (/^\/v2\/.+\/tags\/list$/.test(url.pathname)) return Response.json({ name: "x", tags: ["1"] });
    if (match?.[2] === "blobs")
      return new Response(null, { status: 307, headers: { location: `https://${world.cdn}/data?sig=1` } });
    if (match)
      return new Response(request.method === "HEAD" ? null : "{}", {
        headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      });
    return ociError(404, "NAME_UNKNOWN");
  };
}

/** Handlers for every built-in upstream's registry, realm and CDN. */
export function imitateEveryUpstream() {
  const handlers: Record<string, (request: Request, url: URL) => Response> = {};
  for (const world of worlds) {
    handlers[world.registry] = wellBehavedRegistry(world);
    handlers[world.realm] ??= () => Response.json({ token: "t" });
    handlers[world.cdn] = (request) =>
      request.headers.has("authorization")
        ? new Response("<Error>one auth mechanism</Error>", { status: 400 })
        : new Response("layer");
  }
  return fakeUpstreams(handlers);
}

/** The upstream whose registry, realm or CDN this host is. */
export function ownerOf(host: string): World | undefined {
  return worlds.find((w) => w.registry === host || w.realm === host || w.cdn === host);
}

/** Asserts the answer is a well-formed HTTP response that says nosniff, and that an error the Worker made is OCI JSON. */
export async function expectWellFormed(response: Response, method: string): Promise<void> {
  expect(response).toBeInstanceOf(Response);
  expect(response.status).toBeGreaterThanOrEqual(200);
  expect(response.status).toBeLessThan(600);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
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
export function expectCredentialsStayHome(sent: SentRequest[]): void {
  const credentialed = sent.filter((r) => [CLIENT_TOKEN, CLIENT_BASIC].includes(r.headers.get("authorization") ?? ""));
  for (const r of credentialed) {
    const world = ownerOf(r.url.host);
    expect(world && r.url.host !== world.cdn).toBe(true);
  }
  expect(new Set(sent.map((r) => ownerOf(r.url.host)?.upstream.name)).size).toBeLessThanOrEqual(1);
  expect(sent.filter((r) => ownerOf(r.url.host)?.cdn === r.url.host && r.headers.has("authorization"))).toEqual([]);
}
