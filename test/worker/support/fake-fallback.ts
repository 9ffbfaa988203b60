/**
 * A fallback registry like mirror.gcr.io, as handlers for fakeUpstreams (or fakeHub's `extra`): its `/v2/` challenges
 * with a realm on its own host, its token service hands out anonymous tokens only (any Authorization is refused), and
 * its registry serves `images` only to a request carrying one of those tokens. Switches make it answer a status, or
 * other bytes than the digest it names.
 */
import type { FakeImage } from "./fake-registry";
import type { fakeUpstreams } from "./fake-upstream";

type Hosts = Parameters<typeof fakeUpstreams>[0];

/** The token the fallback's token service issues, to anyone who asks without credentials. */
export const FALLBACK_TOKEN = "fallback-anonymous-token";

/** Handlers for a fallback at `host` holding `images`, and its switches. */
export function fakeFallback(host: string, images: FakeImage[]) {
  const state = {
    /** Answer every registry request (but /v2/) with this status (Retry-After: `retryAfter`). */
    status: undefined as number | undefined,
    retryAfter: "45",
    /** Serve manifests with one byte changed (same Content-Length and Docker-Content-Digest). */
    wrongBytes: false,
    /** Name this digest in Docker-Content-Digest instead of the right one. */
    namedDigest: undefined as string | undefined,
  };
  const challenge = `Bearer realm="https://${host}/v2/token",service="${host}"`;
  const hosts: Hosts = {
    [host]: (request, url) => {
      if (url.pathname === "/v2/token") {
        if (request.headers.has("authorization")) return new Response("no credentials here", { status: 401 });
        return Response.json({ token: FALLBACK_TOKEN, expires_in: 300 });
      }
      if (request.headers.get("authorization") !== `Bearer ${FALLBACK_TOKEN}`)
        return new Response("{}", { status: 401, headers: { "www-authenticate": challenge } });
      if (url.pathname === "/v2/") return new Response("{}");
      if (state.status !== undefined)
        return new Response("refused", { status: state.status, headers: { "retry-after": state.retryAfter } });
      const found = find(images, url.pathname);
      if (!found) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 });
      const bytes = new Uint8Array(found.bytes);
      if (state.wrongBytes && found.manifest) bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      return new Response(request.method === "HEAD" ? null : bytes, {
        headers: {
          "content-type": found.type,
          "content-length": String(bytes.length),
          "docker-content-digest": state.namedDigest ?? found.digest,
        },
      });
    },
  };
  return { hosts, state };
}

function find(images: FakeImage[], path: string) {
  const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
  if (!match) return undefined;
  const [, repository, kind, reference] = match;
  for (const image of images.filter((i) => i.repository === repository)) {
    if (kind === "manifests" && (reference === image.tag || reference === image.digest)) {
      const bytes = new TextEncoder().encode(image.manifest);
      return { bytes, type: "application/vnd.oci.image.manifest.v1+json", digest: image.digest, manifest: true };
    }
    if (kind === "blobs" && reference === image.layerDigest)
      return { bytes: image.layer, type: "application/octet-stream", digest: image.layerDigest, manifest: false };
  }
  return undefined;
}
