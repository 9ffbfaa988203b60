/**
 * Blobs and manifests by digest: immutable, so a cached copy is always current. Served from cache when held and
 * shareable (or when the upstream confirms this client's access); otherwise fetched, streamed to the client, and
 * stored off the response path once the bytes prove to be the digest asked for.
 * Distribution spec, pulling blobs and manifests: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pull
 */
import { registryIdentity } from "../config/registries";
import { errorMessage, logEvent } from "../core/log";
import type { StoredPlan } from "./content";
import type { Answer, CacheRequest } from "./context";
import { blobFillPlan, verifyingRead } from "./fill";
import { fetchLeading, type Landing, leadFill, settleWith } from "./flight";
import { checkFallbackAnswer } from "./from-fallback";
import { type ContentKind, contentKey, digestAlgorithm } from "./keys";
import { probeAhead, referencesOf } from "./references";
import { DigestMismatch, readVerified } from "./verify";
import { clientMayRead, isLinked, shareIfPublic } from "./visibility";

/** distribution's default limit on a manifest body; a larger "manifest" is not kept (nor read into memory). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Serves a blob or manifest by digest, from cache when it may, else from the upstream (storing what it gets). A miss
 * while another request of this isolate fills the same object waits for that fill (flight.ts) instead of fetching.
 */
export async function serveByDigest(cx: CacheRequest): Promise<Answer> {
  const digest = cx.target.reference;
  const kind: ContentKind = cx.target.kind === "blob" ? "blobs" : "manifests";
  const key = contentKey(registryIdentity(cx.target.upstream), kind, digest);
  const cached = await fromCache(cx, key);
  if (cached)
    return cached.source === "cache" ? { ...cached, content: verifyingRead(cx, key, cached.content) } : cached;
  const fills =
    cx.request.method === "GET" && !cx.request.headers.has("range") && digestAlgorithm(digest) !== undefined;
  let landing: Landing | undefined;
  if (fills) {
    const flight = await leadFill(key, () => fromCache(cx, key));
    if ("landed" in flight) return flight.landed;
    landing = flight.landing;
  }
  let upstream = await fetchLeading(landing, () => cx.origin.fetch());
  const fallback = cx.trace.fallback;
  if (fallback !== undefined) {
    const checked = await checkFallbackAnswer(cx, upstream, MAX_MANIFEST_BYTES).catch((error: unknown) => {
      landing?.(false);
      throw error;
    });
    if (checked.manifest) {
      const { bytes, contentType } = checked.manifest;
      if (landing) cx.defer(settleWith(landing, storeManifest(cx, key, bytes, contentType, true)));
      return { source: "upstream", response: checked.response, status: "MISS" };
    }
    upstream = checked.response;
  }
  // Manifests are always hashed (read whole, at most 4 MB); a blob's plan weighs its size against the CPU budget,
  // and bytes a fallback served are kept under this registry's key only if hashed (fill.ts, budget.ts fillPlan).
  const size = declaredSize(upstream.headers).size;
  const plan =
    kind === "manifests"
      ? manifestFillFits(size)
        ? "hash"
        : "none"
      : blobFillPlan(cx, upstream.headers, size, { fromFallback: fallback !== undefined });
  if (!fills || upstream.status !== 200 || !upstream.body || plan === "none") {
    landing?.(false);
    return { source: "upstream", response: upstream, status: "MISS" };
  }
  const [client, copy] = upstream.body.tee();
  const fill = storeContent(
    cx,
    key,
    kind,
    copy,
    { headers: upstream.headers, fromFallback: fallback !== undefined },
    plan,
  ).catch((error: unknown) => {
    logStoreFailure(cx, error);
    return false;
  });
  cx.defer(settleWith(landing, fill));
  return { source: "upstream", response: new Response(client, upstream), status: "MISS" };
}

/**
 * The cached bytes, if held and this client may have them under this repository: linked to it (visibility.ts), or
 * confirmed by the upstream, in this repository, for this client.
 */
async function fromCache(cx: CacheRequest, key: string): Promise<Answer | undefined> {
  const digest = cx.target.reference;
  const head = cx.request.method === "HEAD";
  const [cached, linked] = await Promise.all([
    cx.cache.getContent(key, { head, range: cx.request.headers.get("range") }),
    isLinked(cx, digest),
  ]);
  if (!cached) return undefined;
  if (linked) return { source: "cache", content: cached, digest, status: "HIT" };
  const expected = { digest, ...sizeOf(cached.headers) };
  if (await clientMayRead(cx, expected)) {
    cx.defer(shareIfPublic(cx, expected, false)); // the route's own registry answered (clientMayRead)
    return { source: "cache", content: cached, digest, status: "REVALIDATED" };
  }
  await cached.body?.cancel();
  return undefined;
}

/**
 * Stores a fetched body under its digest once verified, then links it to this repository if the upstream serves it
 * there to everyone; a linked manifest's references are then probed ahead (bounded), never linked on its word.
 * `upstream.fromFallback`: a fallback answered, so only a probe of the route's own registry can link it.
 */
async function storeContent(
  cx: CacheRequest,
  key: string,
  kind: ContentKind,
  body: ReadableStream<Uint8Array>,
  upstream: { headers: Headers; fromFallback: boolean },
  plan: StoredPlan,
): Promise<boolean> {
  const { headers, fromFallback } = upstream;
  const digest = cx.target.reference;
  const meta = {
    digest,
    contentType: headers.get("content-type") ?? "application/octet-stream",
    ...declaredSize(headers),
  };
  try {
    if (kind === "manifests") {
      const { bytes } = await readVerified(body, digest, MAX_MANIFEST_BYTES);
      return storeManifest(cx, key, bytes, meta.contentType, fromFallback);
    }
    await cx.cache.putContent(key, body, meta, plan);
  } catch (error) {
    logStoreFailure(cx, error);
    return false;
  }
  await shareIfPublic(cx, { digest, ...(meta.size === undefined ? {} : { size: meta.size }) }, fromFallback);
  return true;
}

/**
 * Stores a manifest's bytes, already hashed to the digest asked for, then links it to this repository if the upstream
 * serves it there to everyone; a linked manifest's references are then probed ahead (bounded), never linked on its word.
 */
async function storeManifest(
  cx: CacheRequest,
  key: string,
  bytes: Uint8Array,
  contentType: string,
  fromFallback: boolean,
): Promise<boolean> {
  const digest = cx.target.reference;
  try {
    await cx.cache.putBytes(key, bytes, { digest, contentType, size: bytes.byteLength });
  } catch (error) {
    logStoreFailure(cx, error);
    return false;
  }
  const linked = await shareIfPublic(cx, { digest, size: bytes.byteLength }, fromFallback);
  const references = referencesOf(bytes);
  // Apart from the fill: requests waiting for this fill to land must not wait for the probes too.
  if (linked && references.length > 0) cx.defer(probeAhead(cx, references));
  return true;
}

/**
 * Whether a manifest of `size` bytes is stored: one rule for a manifest fetched by digest and by tag. Both are read
 * whole (at most MAX_MANIFEST_BYTES, checked as they are read) and hashed, which any budget affords: hashing runs
 * about 1 ms per MB of the Worker's own CPU (budget.ts), and a manifest is a few KB.
 */
export function manifestFillFits(size: number | undefined): boolean {
  return size === undefined || size <= MAX_MANIFEST_BYTES;
}

/** An object's full size from cached headers: Content-Range's total for a range, else Content-Length. */
function sizeOf(headers: Headers): { size?: number } {
  const total =
    /\/(\d+)$/.exec(headers.get("content-range") ?? "")?.[1] ??
    (headers.has("content-range") ? undefined : headers.get("content-length"));
  return total ? { size: Number(total) } : {};
}

/** The body length the upstream declared, unless the runtime decoded a compressed body (then it describes other bytes). */
export function declaredSize(headers: Headers): { size?: number } {
  const length = headers.get("content-length");
  if (length === null || headers.has("content-encoding") || !/^\d+$/.test(length)) return {};
  return { size: Number(length) };
}

/** Logs why bytes were not stored; a digest mismatch is called out, since it means an upstream served wrong bytes. */
export function logStoreFailure(cx: CacheRequest, error: unknown): void {
  const base = { route: cx.target.upstream.name, repository: cx.target.repository, object: cx.target.reference };
  if (error instanceof DigestMismatch) {
    logEvent("error", "digest mismatch: not stored", {
      ...base,
      expected: error.expected,
      actual: error.actual,
      bytes: error.bytes,
    });
  } else {
    logEvent("warn", "not stored", { ...base, error: errorMessage(error) });
  }
}
