/**
 * What the cache's stores hold and answer with, and the one interface the cache step uses (store.ts implements it
 * over the Cache API and R2; tests implement it with fakes that count calls).
 */

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
 * The cache as the cache step sees it: whatever keeps bytes by digest and small JSON records. TieredStore is the one
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
