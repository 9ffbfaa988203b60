/**
 * The edge cache: the only module that touches `caches` and R2. Content by digest goes to the data centre's Cache API
 * (objects up to 512 MB) and, when a bucket is bound, to R2 (any size, every data centre); small JSON records (tags,
 * markers, verdicts) go to the Cache API, and with `global` to R2 too. Nothing is kept unless its digest checks out.
 *
 * A Cache API put whose body breaks or turns out wrong may still keep what it read (the local runtime does), so
 * bytes are written under a fresh entry name and become visible only when a pointer to them is written, after the
 * write has completed and the digest matched. A half-written or wrong entry is never pointed to (and is deleted).
 * R2 writes are atomic, and R2 checks the digest itself when given it.
 * Cache API: https://developers.cloudflare.com/workers/runtime-apis/cache/  R2: https://developers.cloudflare.com/r2/api/workers/workers-api-reference/
 */
import { digestAlgorithm } from "./keys";
import { DigestMismatch, hashStream } from "./verify";

/** Bytes from the cache, ready to answer with: status 200 or 206 (Range), headers for the bytes, and the body. */
export interface CachedContent {
  status: number;
  /** Content-Type, Content-Length and, for a range, Content-Range. */
  headers: Headers;
  /** Null when only the headers were asked for (HEAD). */
  body: ReadableStream | null;
}

/** What is stored with a digest's bytes. */
export interface ContentMeta {
  digest: string;
  contentType: string;
  /** Declared length; R2 needs it up front, and it decides whether the Cache API can hold the object at all. */
  size?: number;
}

/**
 * The cache as the cache step sees it: whatever keeps bytes by digest and small JSON records. EdgeCache is the one
 * behind requests (the Cache API, and R2 when bound); tests hand the cache step a fake and count its calls.
 * Lookups answer `undefined` for "not held" (never throw for it); puts resolve once kept and reject, keeping
 * nothing, when the bytes are not the digest named.
 */
export interface CacheStore {
  /** Content by key; `range` is the client's Range header, `head` skips the body. */
  getContent(key: string, request: { head: boolean; range: string | null }): Promise<CachedContent | undefined>;
  /** Streams a digest's bytes in, verifying them; rejects (keeping nothing) on a short, broken or wrong body. */
  putContent(key: string, body: ReadableStream<Uint8Array>, meta: ContentMeta): Promise<void>;
  /** Keeps bytes the caller has already verified (manifests, read whole). */
  putBytes(key: string, bytes: Uint8Array, meta: ContentMeta): Promise<void>;
  /** A JSON record; with `global`, one kept for every data centre (R2, when bound). */
  getRecord<T>(key: string, options?: { global?: boolean }): Promise<T | undefined>;
  /** Writes a JSON record kept for `maxAgeSeconds` here; with `global`, in R2 too. */
  putRecord(key: string, value: unknown, maxAgeSeconds: number, options?: { global?: boolean }): Promise<void>;
}

/** Which entry holds a key's verified bytes. */
interface Pointer {
  entry: string;
  size: number;
  contentType: string;
}

/** The Cache API's limit per object (Free, Pro and Business plans). */
export const CACHE_API_MAX_BYTES = 512 * 1024 * 1024;
/** Content by digest never changes, so it may stay as long as the cache cares to keep it. */
const CONTENT_MAX_AGE_SECONDS = 365 * 86_400;
/** Path under the cache's canonical origin (keys.ts cacheOrigin). */
const PREFIX = "/.edgehub-cache/";

/** One request's view of the cache: the Cache API under this hostname, the bucket if bound, and waitUntil for fills. */
export class EdgeCache implements CacheStore {
  constructor(
    private readonly origin: string,
    private readonly bucket: R2Bucket | undefined,
    private readonly defer: (work: Promise<unknown>) => void,
  ) {}

  /** Finds content by key; `range` is the client's Range header, `head` skips the body. */
  async getContent(key: string, request: { head: boolean; range: string | null }): Promise<CachedContent | undefined> {
    const pointer = await this.getRecord<Pointer>(key);
    if (pointer) {
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
    }
    return this.bucket ? this.getFromBucket(this.bucket, key, request) : undefined;
  }

  /**
   * Stores a digest's bytes, streamed, and resolves once they are kept; rejects, keeping nothing, when the stream
   * breaks, ends early or hashes to anything but `meta.digest`. With R2, R2 checks the hash (no Worker CPU spent on
   * it) and this data centre's cache is then filled from the verified R2 copy.
   */
  async putContent(key: string, body: ReadableStream<Uint8Array>, meta: ContentMeta): Promise<void> {
    const algorithm = digestAlgorithm(meta.digest);
    if (!algorithm) throw new Error(`cannot verify ${meta.digest}`);
    if (this.bucket && meta.size !== undefined) {
      // R2 wants a stream of known length: a fetched body with Content-Length has one, and so do its tee() branches.
      // R2 then refuses bytes that are fewer, more, or hash to another digest.
      const options = { httpMetadata: { contentType: meta.contentType }, [algorithm.r2]: hexOf(meta.digest) };
      await this.bucket.put(key, body, options).catch(async (error: unknown) => {
        await body.cancel().catch(() => undefined);
        return explainChecksumFailure(meta)(error);
      });
      const stored = meta.size <= CACHE_API_MAX_BYTES ? await this.bucket.get(key) : null;
      if (stored) await this.writeEntry(key, stored.body, { ...meta, size: stored.size });
      return;
    }
    if (meta.size !== undefined && meta.size > CACHE_API_MAX_BYTES) {
      await body.cancel();
      throw new Error(`${meta.size} bytes is over the Cache API's limit and no R2 bucket is bound`);
    }
    // One branch to the cache as is (native, fast), one through the hash; the entry counts only if both finish.
    const [toCache, toHash] = body.tee();
    const hashed = hashStream(toHash, meta.digest);
    hashed.catch(() => undefined); // awaited by writeEntry; a failed put must not leave it unhandled
    await this.writeEntry(key, toCache, meta, () => hashed);
  }

  /** Stores bytes the caller has already verified (manifests, read whole): Cache API, and R2 when bound. */
  async putBytes(key: string, bytes: Uint8Array, meta: ContentMeta): Promise<void> {
    const algorithm = digestAlgorithm(meta.digest)!;
    await Promise.all([
      this.writeEntry(key, bytes, { ...meta, size: bytes.byteLength }),
      this.bucket?.put(key, bytes, { httpMetadata: { contentType: meta.contentType }, [algorithm.r2]: hexOf(meta.digest) }),
    ]);
  }

  /** Reads a JSON record; with `global`, falls back to R2 and copies what it finds to this data centre. */
  async getRecord<T>(key: string, options: { global?: boolean } = {}): Promise<T | undefined> {
    const edge = await caches.default.match(this.url(key));
    if (edge) return parseRecord<T>(await edge.text());
    if (!options.global || !this.bucket) return undefined;
    const object = await this.bucket.get(key);
    if (!object) return undefined;
    const text = await object.text();
    this.defer(caches.default.put(this.url(key), recordResponse(text, CONTENT_MAX_AGE_SECONDS)));
    return parseRecord<T>(text);
  }

  /** Writes a JSON record kept for `maxAgeSeconds` in this data centre; with `global`, in R2 too. */
  async putRecord(key: string, value: unknown, maxAgeSeconds: number, options: { global?: boolean } = {}): Promise<void> {
    const text = JSON.stringify(value);
    await Promise.all([
      caches.default.put(this.url(key), recordResponse(text, maxAgeSeconds)),
      options.global ? this.bucket?.put(key, text, { httpMetadata: { contentType: "application/json" } }) : undefined,
    ]);
  }

  /**
   * Writes bytes to a fresh Cache API entry and, once the write is complete and `verify` (if any) passed, points the
   * key at it. On any failure the entry is deleted and nothing points to it.
   */
  private async writeEntry(key: string, body: ReadableStream | Uint8Array, meta: Omit<ContentMeta, "digest">, verify?: () => Promise<number>): Promise<void> {
    const entry = `${key}/${crypto.randomUUID()}`;
    const headers = new Headers({ "content-type": meta.contentType, "cache-control": `public, max-age=${CONTENT_MAX_AGE_SECONDS}, immutable` });
    if (meta.size !== undefined) headers.set("content-length", String(meta.size));
    let size: number;
    try {
      await caches.default.put(this.url(entry), new Response(body, { headers }));
      size = verify ? await verify() : meta.size!;
    } catch (error) {
      await caches.default.delete(this.url(entry)).catch(() => false);
      throw error;
    }
    const pointer: Pointer = { entry, size, contentType: meta.contentType };
    await caches.default.put(this.url(key), recordResponse(JSON.stringify(pointer), CONTENT_MAX_AGE_SECONDS));
  }

  private async getFromBucket(bucket: R2Bucket, key: string, request: { head: boolean; range: string | null }): Promise<CachedContent | undefined> {
    if (request.head) {
      const object = await bucket.head(key);
      return object ? { status: 200, headers: bucketHeaders(object, object.size), body: null } : undefined;
    }
    const range = request.range ? new Headers({ range: request.range }) : undefined;
    let object: R2ObjectBody | null;
    try {
      object = await bucket.get(key, range ? { range } : {});
    } catch {
      return undefined; // an unsatisfiable range: let the upstream phrase the 416
    }
    if (!object) return undefined;
    const span = range ? rangeOf(object) : undefined;
    if (span) {
      const headers = bucketHeaders(object, span.length);
      headers.set("content-range", `bytes ${span.offset}-${span.offset + span.length - 1}/${object.size}`);
      return { status: 206, headers, body: object.body };
    }
    const headers = bucketHeaders(object, object.size);
    if (object.size > CACHE_API_MAX_BYTES) return { status: 200, headers, body: object.body };
    // Found in R2 but not here: keep a copy in this data centre's cache as the client reads.
    const [client, copy] = object.body.tee();
    this.defer(this.writeEntry(key, copy, { contentType: headers.get("content-type")!, size: object.size }));
    return { status: 200, headers, body: client };
  }

  private url(key: string): string {
    return `${this.origin}${PREFIX}${key}`;
  }
}

/** R2 refuses a put whose bytes do not match the checksum given: that is a digest mismatch, and is reported as one. */
function explainChecksumFailure(meta: ContentMeta): (error: unknown) => never {
  return (error) => {
    if (error instanceof Error && /checksum|digest/i.test(error.message)) throw new DigestMismatch(meta.digest, "(refused by R2's checksum)", meta.size ?? 0);
    throw error;
  };
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

function bucketHeaders(object: R2Object, length: number): Headers {
  return new Headers({ "content-type": object.httpMetadata?.contentType ?? "application/octet-stream", "content-length": String(length) });
}

function rangeOf(object: R2ObjectBody): { offset: number; length: number } | undefined {
  const range = object.range as { offset?: number; length?: number; suffix?: number } | undefined;
  if (!range) return undefined;
  if (range.suffix !== undefined) return { offset: Math.max(0, object.size - range.suffix), length: Math.min(range.suffix, object.size) };
  const offset = range.offset ?? 0;
  return { offset, length: range.length ?? object.size - offset };
}

function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1);
}

function recordResponse(text: string, maxAgeSeconds: number): Response {
  return new Response(text, { headers: { "content-type": "application/json", "cache-control": `max-age=${maxAgeSeconds}` } });
}

function parseRecord<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
