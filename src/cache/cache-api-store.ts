/**
 * The data centre's Cache API as a store. A Cache API put whose body breaks or turns out wrong may still keep what
 * it read (the local runtime does), so bytes are written under a fresh entry name and become visible only when a
 * pointer to them is written, after the write has completed and the digest matched. A half-written or wrong entry is
 * never pointed to (and is deleted). Keys live under the cache's canonical origin (keys.ts cacheOrigin).
 * Cache API: https://developers.cloudflare.com/workers/runtime-apis/cache/
 */
import { parseJson } from "../core/parse";
import type { CachedContent, ContentMeta } from "./content";

/** Which entry holds a key's verified bytes. */
interface Pointer {
  entry: string;
  size: number;
  contentType: string;
}

/** Content by digest never changes, so it may stay as long as the cache cares to keep it. */
export const CONTENT_MAX_AGE_SECONDS = 365 * 86_400;
/** Path under the cache's canonical origin. */
const PREFIX = "/.edgehub-cache/";

/** The Cache API under one origin: content behind pointers, and JSON records. */
export class CacheApiStore {
  constructor(private readonly origin: string) {}

  /** Content by key; `range` is the client's Range header, `head` skips the body. Undefined when not held. */
  async getContent(key: string, request: { head: boolean; range: string | null }): Promise<CachedContent | undefined> {
    const text = await this.getText(key);
    const pointer = text === undefined ? undefined : (parseJson(text) as Pointer | undefined);
    if (!pointer) return undefined;
    const range = request.range && !request.head ? { headers: { range: request.range } } : {};
    const entry = await caches.default.match(new Request(this.url(pointer.entry), range));
    if (entry && (entry.status === 200 || entry.status === 206)) {
      if (request.head) await entry.body?.cancel();
      const headers = contentHeaders(entry.headers);
      // A streamed put may be kept without a length; the pointer knows it.
      if (entry.status === 200) headers.set("content-length", String(pointer.size));
      return { status: entry.status, headers, body: request.head ? null : entry.body };
    }
    await entry?.body?.cancel();
    return undefined;
  }

  /**
   * Writes bytes to a fresh entry and, once the write is complete and `verify` (if any) passed, points the key at
   * it. On any failure the entry is deleted and nothing points to it.
   */
  async putContent(
    key: string,
    body: ReadableStream | Uint8Array,
    meta: Omit<ContentMeta, "digest">,
    verify?: () => Promise<number>,
  ): Promise<void> {
    const entry = `${key}/${crypto.randomUUID()}`;
    const headers = new Headers({
      "content-type": meta.contentType,
      "cache-control": `public, max-age=${CONTENT_MAX_AGE_SECONDS}, immutable`,
    });
    if (meta.size !== undefined) headers.set("content-length", String(meta.size));
    let size: number | undefined;
    try {
      await caches.default.put(this.url(entry), new Response(body, { headers }));
      size = verify ? await verify() : meta.size;
      if (size === undefined) throw new Error("a content entry needs its size or a verifier that measures it");
    } catch (error) {
      await caches.default.delete(this.url(entry)).catch(() => false);
      throw error;
    }
    const pointer: Pointer = { entry, size, contentType: meta.contentType };
    await this.putText(key, JSON.stringify(pointer), CONTENT_MAX_AGE_SECONDS);
  }

  /** A record's text, or undefined when not held. */
  async getText(key: string): Promise<string | undefined> {
    const response = await caches.default.match(this.url(key));
    return response ? response.text() : undefined;
  }

  /** Keeps a record's text for `maxAgeSeconds`. */
  async putText(key: string, text: string, maxAgeSeconds: number): Promise<void> {
    const response = new Response(text, {
      headers: { "content-type": "application/json", "cache-control": `max-age=${maxAgeSeconds}` },
    });
    await caches.default.put(this.url(key), response);
  }

  private url(key: string): string {
    return `${this.origin}${PREFIX}${key}`;
  }
}

/** The headers of cached bytes that describe them; everything else the cache adds (Age, CF-Cache-Status) stays here. */
function contentHeaders(source: Headers): Headers {
  const headers = new Headers();
  for (const name of ["content-type", "content-length", "content-range"]) {
    const value = source.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}
