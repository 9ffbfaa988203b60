/**
 * The data centre's Cache API as a store. A Cache API put whose body ends short, or breaks, may still keep what it
 * read and resolve (the local runtime does: measured, a body cut to half its Content-Length was kept and later matched
 * as a 200), so bytes are written under a fresh entry name and become visible only through a pointer (the content
 * record) written once the fill is known complete and whole: the digest matched (a hash), or one ranged read of the
 * stored entry's last byte answered `bytes N-1-N-1/N` for the declared N (a length check, no per-MB work). An entry
 * that fails is never pointed to, and is deleted. Keys live under the cache's canonical origin (keys.ts cacheOrigin).
 * Cache API: https://developers.cloudflare.com/workers/runtime-apis/cache/
 */
import { parseJson } from "../core/parse";
import type { CachedContent, ContentCheck, ContentMeta } from "./content";

/** The content record: which entry holds a key's bytes, and who vouched for them. */
interface Pointer {
  entry: string;
  size: number;
  contentType: string;
  check: ContentCheck;
  /** ms since the epoch. */
  storedAt: number;
}

/** Content by digest never changes, so it may stay as long as the cache cares to keep it. */
export const CONTENT_MAX_AGE_SECONDS = 365 * 86_400;
/** Bytes nobody hashed (check "length") are kept a week, then fetched (and checked) again. */
export const LENGTH_CHECKED_MAX_AGE_SECONDS = 7 * 86_400;
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
      return { status: entry.status, headers, body: request.head ? null : entry.body, check: pointer.check };
    }
    await entry?.body?.cancel();
    return undefined;
  }

  /**
   * Writes bytes to a fresh entry and points the key at it once the fill is known whole: `verify` (the hash) passed,
   * or, for a stream nobody hashed, the stored entry holds exactly `meta.size` bytes. On any failure the entry is
   * deleted and nothing points to it. `check` says who vouched for the bytes, and sets how long they are kept.
   */
  async putContent(
    key: string,
    body: ReadableStream | Uint8Array,
    meta: Omit<ContentMeta, "digest">,
    check: ContentCheck,
    verify?: () => Promise<number>,
  ): Promise<void> {
    const entry = `${key}/${crypto.randomUUID()}`;
    const maxAge = check === "length" ? LENGTH_CHECKED_MAX_AGE_SECONDS : CONTENT_MAX_AGE_SECONDS;
    const headers = new Headers({
      "content-type": meta.contentType,
      "cache-control": `public, max-age=${maxAge}, immutable`,
    });
    if (meta.size !== undefined) headers.set("content-length", String(meta.size));
    let size: number | undefined;
    try {
      await caches.default.put(this.url(entry), new Response(body, { headers }));
      size = verify ? await verify() : meta.size;
      if (size === undefined) throw new Error("a content entry needs its size or a verifier that measures it");
      if (!verify && body instanceof ReadableStream) await this.confirmLength(entry, size);
    } catch (error) {
      await caches.default.delete(this.url(entry)).catch(() => false);
      throw error;
    }
    const pointer: Pointer = { entry, size, contentType: meta.contentType, check, storedAt: Date.now() };
    await this.putText(key, JSON.stringify(pointer), maxAge);
  }

  /** Deletes a key's pointer and the entry it names. */
  async evict(key: string): Promise<void> {
    const text = await this.getText(key);
    const pointer = text === undefined ? undefined : (parseJson(text) as Pointer | undefined);
    await caches.default.delete(this.url(key));
    if (pointer) await caches.default.delete(this.url(pointer.entry));
  }

  /**
   * Throws unless the stored entry holds exactly `size` bytes: its last byte, asked as a range, must come back as
   * `bytes size-1-size-1/size`. A stored body that ended short has no such byte; one that ran long has another total.
   * Cloudflare's Cache API answers a ranged match from the stored object (206), as it does for clients' ranges.
   */
  private async confirmLength(entry: string, size: number): Promise<void> {
    if (size === 0) return; // nothing to be short of, and a declared empty body is read as empty
    const last = size - 1;
    const stored = await caches.default.match(
      new Request(this.url(entry), { headers: { range: `bytes=${last}-${last}` } }),
    );
    await stored?.body?.cancel();
    const range = stored?.headers.get("content-range");
    if (stored?.status !== 206 || range !== `bytes ${last}-${last}/${size}`)
      throw new Error(
        `the stored entry is not ${size} bytes (${stored?.status ?? "not found"}, ${range ?? "no range"})`,
      );
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
