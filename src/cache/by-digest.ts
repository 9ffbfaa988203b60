/**
 * Blobs and manifests by digest: immutable, so a cached copy is always current. Served from cache when held and
 * shareable (or when the upstream confirms this client's access); otherwise fetched, streamed to the client, and
 * stored off the response path once the bytes prove to be the digest asked for.
 * Distribution spec, pulling blobs and manifests: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pull
 */
import { registryIdentity } from "../config/registries";
import { errorMessage, logEvent } from "../core/log";
import { fillFits } from "./budget";
import type { Answer, CacheRequest } from "./context";
import { fetchLeading, type Landing, leadFill, settleWith } from "./flight";
import { type ContentKind, contentKey, digestAlgorithm } from "./keys";
import { CACHE_API_MAX_BYTES } from "./store";
import { DigestMismatch, readVerified } from "./verify";
import { clientMayRead, isShared, referencesOf, shareIfPublic } from "./visibility";

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
  if (cached) return cached;
  const fills =
    cx.request.method === "GET" && !cx.request.headers.has("range") && digestAlgorithm(digest) !== undefined;
  let landing: Landing | undefined;
  if (fills) {
    const flight = await leadFill(key, () => fromCache(cx, key));
    if ("landed" in flight) return flight.landed;
    landing = flight.landing;
  }
  const upstream = await fetchLeading(landing, () => cx.origin.fetch());
  const size = declaredSize(upstream.headers).size;
  if (
    !fills ||
    upstream.status !== 200 ||
    !upstream.body ||
    !storable(cx, size) ||
    !fillFits(cx.config, kind === "manifests" ? (size ?? MAX_MANIFEST_BYTES) : size)
  ) {
    landing?.(false);
    return { source: "upstream", response: upstream, status: "MISS" };
  }
  const [client, copy] = upstream.body.tee();
  const fill = storeContent(cx, key, kind, copy, upstream.headers).catch((error: unknown) => {
    logStoreFailure(cx, error);
    return false;
  });
  cx.defer(settleWith(landing, fill));
  return { source: "upstream", response: new Response(client, upstream), status: "MISS" };
}

/** The cached bytes, if held and this client may have them: shared, or confirmed by the upstream for this client. */
async function fromCache(cx: CacheRequest, key: string): Promise<Answer | undefined> {
  const digest = cx.target.reference;
  const head = cx.request.method === "HEAD";
  const [cached, shared] = await Promise.all([
    cx.cache.getContent(key, { head, range: cx.request.headers.get("range") }),
    isShared(cx, digest),
  ]);
  if (!cached) return undefined;
  if (shared) return { source: "cache", content: cached, digest, status: "HIT" };
  const expected = { digest, ...sizeOf(cached.headers) };
  if (await clientMayRead(cx, expected)) {
    cx.defer(shareIfPublic(cx, expected));
    return { source: "cache", content: cached, digest, status: "REVALIDATED" };
  }
  await cached.body?.cancel();
  return undefined;
}

/** Stores a fetched body under its digest once verified, then marks it shareable if the upstream serves it to all. */
async function storeContent(
  cx: CacheRequest,
  key: string,
  kind: ContentKind,
  body: ReadableStream<Uint8Array>,
  headers: Headers,
): Promise<boolean> {
  const digest = cx.target.reference;
  const meta = {
    digest,
    contentType: headers.get("content-type") ?? "application/octet-stream",
    ...declaredSize(headers),
  };
  let references: string[] = [];
  try {
    if (kind === "manifests") {
      const { bytes } = await readVerified(body, digest, MAX_MANIFEST_BYTES);
      await cx.cache.putBytes(key, bytes, meta);
      references = referencesOf(bytes);
    } else {
      await cx.cache.putContent(key, body, meta);
    }
  } catch (error) {
    logStoreFailure(cx, error);
    return false;
  }
  await shareIfPublic(cx, { digest, ...(meta.size === undefined ? {} : { size: meta.size }) }, references);
  return true;
}

/** An object's full size from cached headers: Content-Range's total for a range, else Content-Length. */
function sizeOf(headers: Headers): { size?: number } {
  const total =
    /\/(\d+)$/.exec(headers.get("content-range") ?? "")?.[1] ??
    (headers.has("content-range") ? undefined : headers.get("content-length"));
  return total ? { size: Number(total) } : {};
}

/** Whether there is anywhere to keep this body: without R2, the Cache API takes nothing over 512 MB. */
function storable(cx: CacheRequest, size: number | undefined): boolean {
  return cx.config.blobs !== undefined || (size ?? 0) <= CACHE_API_MAX_BYTES;
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
