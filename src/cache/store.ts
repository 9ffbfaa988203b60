/**
 * The tiered store: the two stores behind CacheStore (content.ts), for one request. Content by digest goes to the data centre's Cache API
 * (cache-api-store.ts, objects up to 512 MB) and, when a bucket is bound, to R2 (r2-store.ts, any size, every data
 * centre); small JSON records (tags, markers, pointers) go to the Cache API, and with `global` to R2 too. Nothing is
 * kept unless its digest checks out: R2 checks it itself, and without R2 the Worker hashes a tee() branch.
 */

import { parseJson } from "../core/parse";
import { CacheApiStore, CONTENT_MAX_AGE_SECONDS } from "./cache-api-store";
import type { CachedContent, CacheStore, ContentMeta } from "./content";
import { digestAlgorithm } from "./keys";
import { R2Store } from "./r2-store";
import { hashStream } from "./verify";

/** The Cache API's limit per object (Free, Pro and Business plans). */
export const CACHE_API_MAX_BYTES = 512 * 1024 * 1024;

/** CacheStore for one request: CacheApiStore in front, R2Store behind when bound, and waitUntil for copies between them. */
export class TieredStore implements CacheStore {
  private readonly edge: CacheApiStore;
  private readonly bucket: R2Store | undefined;

  constructor(
    origin: string,
    bucket: R2Bucket | undefined,
    private readonly defer: (work: Promise<unknown>) => void,
  ) {
    this.edge = new CacheApiStore(origin);
    this.bucket = bucket ? new R2Store(bucket) : undefined;
  }

  /** Finds content: this data centre first, then R2 (copying a whole object found there into this data centre). */
  async getContent(key: string, request: { head: boolean; range: string | null }): Promise<CachedContent | undefined> {
    const here = await this.edge.getContent(key, request);
    if (here || !this.bucket) return here;
    const found = await this.bucket.getContent(key, request);
    if (!found) return undefined;
    const { status, headers, body, size, whole } = found;
    if (!whole || !body || size > CACHE_API_MAX_BYTES) return { status, headers, body };
    // Found in R2 but not here: keep a copy in this data centre's cache as the client reads.
    const [client, copy] = body.tee();
    this.defer(
      this.edge.putContent(key, copy, { contentType: headers.get("content-type") ?? "application/octet-stream", size }),
    );
    return { status, headers, body: client };
  }

  /**
   * Stores a digest's bytes, streamed, and resolves once they are kept; rejects, keeping nothing, when the stream
   * breaks, ends early or hashes to anything but `meta.digest`. With R2, R2 checks the hash (no Worker CPU spent on
   * it) and this data centre's cache is then filled from the verified R2 copy.
   */
  async putContent(key: string, body: ReadableStream<Uint8Array>, meta: ContentMeta): Promise<void> {
    if (!digestAlgorithm(meta.digest)) throw new Error(`cannot verify ${meta.digest}`);
    if (this.bucket && meta.size !== undefined) {
      // R2 wants a stream of known length: a fetched body with Content-Length has one, and so do its tee() branches.
      await this.bucket.putContent(key, body, meta);
      const stored =
        meta.size <= CACHE_API_MAX_BYTES ? await this.bucket.getContent(key, { head: false, range: null }) : undefined;
      if (stored?.body) await this.edge.putContent(key, stored.body, { ...meta, size: stored.size });
      return;
    }
    if (meta.size !== undefined && meta.size > CACHE_API_MAX_BYTES) {
      await body.cancel();
      throw new Error(`${meta.size} bytes is over the Cache API's limit and no R2 bucket is bound`);
    }
    // One branch to the cache as is (native, fast), one through the hash; the entry counts only if both finish.
    const [toCache, toHash] = body.tee();
    const hashed = hashStream(toHash, meta.digest);
    hashed.catch(() => undefined); // awaited by putContent; a failed put must not leave it unhandled
    await this.edge.putContent(key, toCache, meta, () => hashed);
  }

  /** Stores bytes the caller has already verified (manifests, read whole): Cache API, and R2 when bound. */
  async putBytes(key: string, bytes: Uint8Array, meta: ContentMeta): Promise<void> {
    await Promise.all([
      this.edge.putContent(key, bytes, { ...meta, size: bytes.byteLength }),
      this.bucket?.putContent(key, bytes, meta),
    ]);
  }

  /** Reads a JSON record; with `global`, falls back to R2 and copies what it finds to this data centre. */
  async getRecord<T>(key: string, options: { global?: boolean } = {}): Promise<T | undefined> {
    const here = await this.edge.getText(key);
    if (here !== undefined) return parseJson(here) as T | undefined;
    if (!options.global || !this.bucket) return undefined;
    const text = await this.bucket.getText(key);
    if (text === undefined) return undefined;
    this.defer(this.edge.putText(key, text, CONTENT_MAX_AGE_SECONDS));
    return parseJson(text) as T | undefined;
  }

  /** Writes a JSON record kept for `maxAgeSeconds` in this data centre; with `global`, in R2 too. */
  async putRecord(
    key: string,
    value: unknown,
    maxAgeSeconds: number,
    options: { global?: boolean } = {},
  ): Promise<void> {
    const text = JSON.stringify(value);
    await Promise.all([
      this.edge.putText(key, text, maxAgeSeconds),
      options.global ? this.bucket?.putText(key, text) : undefined,
    ]);
  }
}
