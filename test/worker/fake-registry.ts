/**
 * A Docker Hub look-alike for the cache tests, on top of fakeUpstreams: token auth with an anonymous token that is
 * granted public repositories only, manifests by tag and digest, blobs, and switches that make it fail the ways
 * stale-if-error is about (5xx, 429, unreachable, no answer). Every image is made of fresh random bytes, since the
 * cache outlives a test.
 */
import { digestOf, fakeUpstreams } from "./fake-upstream";

export const HUB = "registry-1.docker.io";
export const AUTH = "auth.docker.io";
export const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
/** What the tester's token looks like; the anonymous one is "Bearer anonymous". */
export const TESTER = "Bearer tester";
export const ANONYMOUS = "Bearer anonymous";
/** The only credentials the token service takes (HTTP Basic), for the tester's token. */
export const TESTER_BASIC = `Basic ${btoa("tester:tester-password")}`;
const SERVICE = "registry.docker.io";

/** One pushed image: a manifest naming a config and one layer. */
export interface FakeImage {
  repository: string;
  tag: string;
  manifest: string;
  digest: string;
  layer: Uint8Array;
  layerDigest: string;
}

/** How the registry misbehaves: answer with a status, refuse connections, or never answer. */
export type Failure = number | "unreachable" | "hang";

/** The two ways the cache can be set up, as bindings merged over the test env: R2 unbound, and R2 bound. */
export const STORAGE_MODES = [
  ["the Cache API alone", { BLOBS: undefined }],
  ["the Cache API backed by R2", {}],
] as const;

/** A repository name no other test (or earlier run against the same local cache) has used. */
export function uniqueName(): string {
  return `c${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** Makes an image with fresh bytes (optionally with a given layer, to share it between repositories). */
export async function makeImage(repository: string, tag: string, layer: Uint8Array = crypto.getRandomValues(new Uint8Array(32 * 1024))): Promise<FakeImage> {
  const layerDigest = await digestOf(layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: layerDigest, size: layer.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layer.length }],
    annotations: { nonce: crypto.randomUUID() },
  });
  return { repository, tag, manifest, digest: await digestOf(manifest), layer, layerDigest };
}

/** A login page some registries send anonymous users to (302) instead of a 401. */
export const LOGIN = "login.example.com";

/**
 * Starts the fake; `privateRepositories` are granted to the tester's token only (the array may change later: a
 * repository turning private). Unauthorised requests for `loginRedirects` are sent to a login page instead of a 401.
 * `tokenDelayMs` slows the token service, so requests that need a token at about the same time overlap.
 */
export function fakeHub(images: FakeImage[], privateRepositories: string[] = [], loginRedirects: string[] = [], tokenDelayMs = 0) {
  const state = { images: [...images], failure: undefined as Failure | undefined };
  const isPrivate = (repository: string) => privateRepositories.includes(repository);
  const fake = fakeUpstreams({
    // Strict like auth.docker.io: only the tester's own credentials get the tester's token, any other Authorization
    // is refused, and a token is only for this registry's service.
    [AUTH]: async (request, url) => {
      if (tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, tokenDelayMs));
      if (url.searchParams.get("service") !== SERVICE) return Response.json({ details: "unknown service" }, { status: 400 });
      const authorization = request.headers.get("authorization");
      if (authorization === null) return Response.json({ token: "anonymous" });
      if (authorization !== TESTER_BASIC) return Response.json({ details: "incorrect username or password" }, { status: 401 });
      return Response.json({ token: "tester" });
    },
    [LOGIN]: () => new Response("<!doctype html><title>Sign in</title>", { headers: { "content-type": "text/html; charset=utf-8" } }),
    [HUB]: async (request, url) => {
      if (state.failure === "unreachable") throw new TypeError("connection refused");
      if (state.failure === "hang") {
        return new Promise<Response>((_resolve, reject) => request.signal.addEventListener("abort", () => reject(new Error("aborted"))));
      }
      if (state.failure !== undefined) return new Response("upstream trouble", { status: state.failure, headers: { "retry-after": "30" } });
      const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
      if (!match) return new Response("{}", { status: 401, headers: { "www-authenticate": challenge("") } });
      const [, repository, kind, reference] = match as unknown as [string, string, string, string];
      const auth = request.headers.get("authorization");
      if (auth !== TESTER && loginRedirects.includes(repository)) {
        return new Response(null, { status: 302, headers: { location: `https://${LOGIN}/login?next=${encodeURIComponent(url.pathname)}` } });
      }
      if (auth !== TESTER && !(auth === ANONYMOUS && !isPrivate(repository))) {
        return new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', { status: 401, headers: { "www-authenticate": challenge(repository) } });
      }
      const body = find(state.images, repository, kind, reference);
      if (!body) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 });
      const headers = { "content-type": body.type, "content-length": String(body.bytes.length), "docker-content-digest": body.digest };
      const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.get("range") ?? "");
      if (range && request.method === "GET") {
        const [start, end] = [Number(range[1]), Number(range[2])];
        const part = body.bytes.slice(start, end + 1);
        const partial = { ...headers, "content-length": String(part.length), "content-range": `bytes ${start}-${end}/${body.bytes.length}` };
        return new Response(part, { status: 206, headers: partial });
      }
      return new Response(request.method === "HEAD" ? null : body.bytes, { headers });
    },
  });
  return {
    ...fake,
    state,
    /** Requests to the registry (not the token service), as "METHOD /path". */
    registryRequests: () => fake.to(HUB).map((r) => `${r.method} ${r.url.pathname}`),
    /** Starts counting: the returned function lists every upstream request (any host) made since, as "METHOD host/path". */
    mark() {
      const from = fake.sent.length;
      return () => fake.sent.slice(from).map((r) => `${r.method} ${r.url.host}${r.url.pathname}`);
    },
    /** Points a tag at another image, as a push would. */
    push(image: FakeImage) {
      state.images = [image, ...state.images.filter((i) => !(i.repository === image.repository && i.tag === image.tag))];
    },
  };
}

function challenge(repository: string): string {
  const scope = repository ? `,scope="repository:${repository}:pull"` : "";
  return `Bearer realm="https://${AUTH}/token",service="${SERVICE}"${scope}`;
}

function find(images: FakeImage[], repository: string, kind: string, reference: string) {
  for (const image of images.filter((i) => i.repository === repository)) {
    if (kind === "manifests" && (reference === image.tag || reference === image.digest)) {
      return { bytes: new TextEncoder().encode(image.manifest), type: MANIFEST_TYPE, digest: image.digest };
    }
    if (kind === "blobs" && reference === image.layerDigest) return { bytes: image.layer, type: "application/octet-stream", digest: image.layerDigest };
  }
  return undefined;
}
