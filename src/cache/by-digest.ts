/**
 * Blobs and manifests by digest: immutable, so a cached copy is always current. Served from cache when held and
 * shareable (or when the upstream confirms this client's access); otherwise fetched, streamed to the client, and
 * stored off the response path once the bytes prove to be the digest asked for.
 * Distribution spec, pulling blobs and manifests: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pull
 */
import { errorMessage, logEvent } from "../core/log";
import type { Answer, CacheRequest } from "./context";
import { registryIdentity } from "../config/registries";
import { contentKey, digestAlgorithm, type ContentKind } from "./keys";
import { CACHE_API_MAX_BYTES } from "./store";
import { DigestMismatch, readVerified } from "./verify";
import { clientMayRead, isShared, shareIfPublic } from "./visibility";

/** distribution's default limit on a manifest body; a larger "manifest" is not kept (nor read into memory). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Serves a blob or manifest by digest, from cache when it may, else from the upstream (storing what it gets). */
export async function serveByDigest(cx: CacheRequest): Promise<Answer> {
  const digest = cx.target.reference;
  const kind: ContentKind = cx.target.kind === "blob" ? "blobs" : "manifests";
  const key = contentKey(registryIdentity(cx.target.upstream), kind, digest);
  const head = cx.request.method === "HEAD";
  const [cached, shared] = await Promise.all([cx.cache.getContent(key, { head, range: cx.request.headers.get("range") }), isShared(cx, digest)]);
  if (cached) {
    if (shared) return { source: "cache", content: cached, digest, status: "HIT" };
    if (await clientMayRead(cx)) {
      cx.defer(shareIfPublic(cx, [digest]));
      return { source: "cache", content: cached, digest, status: "REVALIDATED" };
    }
    await cached.body?.cancel();
  }
  const upstream = await cx.origin.fetch();
  if (cx.request.method !== "GET" || upstream.status !== 200 || !upstream.body || !digestAlgorithm(digest) || !storable(cx, upstream.headers)) {
    return { source: "upstream", response: upstream, status: "MISS" };
  }
  const [client, copy] = upstream.body.tee();
  cx.defer(storeContent(cx, key, kind, copy, upstream.headers));
  return { source: "upstream", response: new Response(client, upstream), status: "MISS" };
}

/** Stores a fetched body under its digest once verified, then marks it shareable if the upstream serves it to all. */
async function storeContent(cx: CacheRequest, key: string, kind: ContentKind, body: ReadableStream<Uint8Array>, headers: Headers): Promise<void> {
  const digest = cx.target.reference;
  const meta = { digest, contentType: headers.get("content-type") ?? "application/octet-stream", ...declaredSize(headers) };
  try {
    if (kind === "manifests") {
      const { bytes } = await readVerified(body, digest, MAX_MANIFEST_BYTES);
      await cx.cache.putBytes(key, bytes, meta);
    } else {
      await cx.cache.putContent(key, body, meta);
    }
  } catch (error) {
    logStoreFailure(cx, error);
    return;
  }
  await shareIfPublic(cx, [digest]);
}

/** Whether there is anywhere to keep this body: without R2, the Cache API takes nothing over 512 MB. */
function storable(cx: CacheRequest, headers: Headers): boolean {
  return cx.config.blobs !== undefined || (declaredSize(headers).size ?? 0) <= CACHE_API_MAX_BYTES;
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
    logEvent("error", "digest mismatch: not stored", { ...base, expected: error.expected, actual: error.actual, bytes: error.bytes });
  } else {
    logEvent("warn", "not stored", { ...base, error: errorMessage(error) });
  }
}
