/**
 * What the cache's stores hold and answer with, and the one interface the cache step uses (store.ts implements it
 * over the Cache API and R2; tests implement it with fakes that count calls).
 */

/**
 * Who vouched for stored bytes (the content record's `check`): "sha256", the Worker hashed them; "r2", R2 checked
 * their sha256 on the put (a Cache API copy filled from that object says so too); "length", only completeness was
 * established (exactly the declared length, stored without a hash because the CPU budget has none for it).
 */
export type ContentCheck = "sha256" | "r2" | "length";

/** How a fill keeps its bytes (budget.ts fillPlan, less "none"): hashed by the Worker, by R2, or length-checked. */
export type StoredPlan = "hash" | "r2" | "length";

/** Bytes from the cache, ready to answer with: status 200 or 206 (Range), headers for the bytes, and the body. */
export interface CachedContent {
  status: number;
  /** Content-Type, Content-Length and, for a range, Content-Range. */
  headers: Headers;
  /** Null when only the headers were asked for (HEAD). */
  body: ReadableStream | null;
  /** Who vouched for the bytes (what a store returns; a tag's HEAD answered from its record has no bytes to vouch for). */
  check?: ContentCheck;
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
  /**
   * Streams a digest's bytes in as `plan` says (hashed, by R2, or length-checked); rejects, keeping nothing, on a
   * body that breaks, ends short of or runs past its declared size, or (when hashed) is not the digest.
   */
  putContent(key: string, body: ReadableStream<Uint8Array>, meta: ContentMeta, plan: StoredPlan): Promise<void>;
  /** Deletes a key's content everywhere it is kept: its bytes were found not to be its digest. */
  evict(key: string): Promise<void>;
  /** Keeps bytes the caller has already verified (manifests, read whole). */
  putBytes(key: string, bytes: Uint8Array, meta: ContentMeta): Promise<void>;
  /** A JSON record; with `global`, one kept for every data centre (R2, when bound). */
  getRecord<T>(key: string, options?: { global?: boolean }): Promise<T | undefined>;
  /** Writes a JSON record kept for `maxAgeSeconds` here; with `global`, in R2 too. */
  putRecord(key: string, value: unknown, maxAgeSeconds: number, options?: { global?: boolean }): Promise<void>;
}
