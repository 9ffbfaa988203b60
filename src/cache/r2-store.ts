/**
 * An R2 bucket as a store: any size, every data centre, atomic writes, and R2 checks a digest itself when given it
 * (so the Worker spends no CPU hashing). R2: https://developers.cloudflare.com/r2/api/workers/workers-api-reference/
 */

import type { CachedContent, ContentMeta } from "./content";
import { digestAlgorithm } from "./keys";
import { DigestMismatch } from "./verify";

/** Content from the bucket, with the object's full size (to decide whether the Cache API can take a copy). */
export type BucketContent = CachedContent & { size: number; whole: boolean };

/** The bucket: content by key, and JSON records. */
export class R2Store {
  constructor(private readonly bucket: R2Bucket) {}

  /** Content by key; `range` is the client's Range header, `head` skips the body. Undefined when not held. */
  async getContent(key: string, request: { head: boolean; range: string | null }): Promise<BucketContent | undefined> {
    if (request.head) {
      const object = await this.bucket.head(key);
      return object
        ? { status: 200, headers: bucketHeaders(object, object.size), body: null, size: object.size, whole: false }
        : undefined;
    }
    const range = request.range ? new Headers({ range: request.range }) : undefined;
    let object: R2ObjectBody | null;
    try {
      object = await this.bucket.get(key, range ? { range } : {});
    } catch {
      return undefined; // an unsatisfiable range: let the upstream phrase the 416
    }
    if (!object) return undefined;
    const span = range ? rangeOf(object) : undefined;
    if (span) {
      const headers = bucketHeaders(object, span.length);
      headers.set("content-range", `bytes ${span.offset}-${span.offset + span.length - 1}/${object.size}`);
      return { status: 206, headers, body: object.body, size: object.size, whole: false };
    }
    return {
      status: 200,
      headers: bucketHeaders(object, object.size),
      body: object.body,
      size: object.size,
      whole: true,
    };
  }

  /**
   * Stores bytes under their digest; R2 refuses bytes that are fewer or more than `meta.size`, or hash to another
   * digest, and such a refusal is a DigestMismatch. Resolves once kept.
   */
  async putContent(key: string, body: ReadableStream<Uint8Array> | Uint8Array, meta: ContentMeta): Promise<void> {
    const algorithm = digestAlgorithm(meta.digest);
    if (!algorithm) throw new Error(`cannot verify ${meta.digest}`);
    const options = {
      httpMetadata: { contentType: meta.contentType },
      [algorithm.r2]: meta.digest.slice(meta.digest.indexOf(":") + 1),
    };
    await this.bucket.put(key, body, options).catch(async (error: unknown) => {
      if (body instanceof ReadableStream) await body.cancel().catch(() => undefined);
      if (error instanceof Error && /checksum|digest/i.test(error.message))
        throw new DigestMismatch(meta.digest, "(refused by R2's checksum)", meta.size ?? 0);
      throw error;
    });
  }

  /** A record's text, or undefined when not held. */
  async getText(key: string): Promise<string | undefined> {
    const object = await this.bucket.get(key);
    return object ? object.text() : undefined;
  }

  /** Keeps a record's text (R2 keeps it until deleted: records carry their own expiry where they need one). */
  async putText(key: string, text: string): Promise<void> {
    await this.bucket.put(key, text, { httpMetadata: { contentType: "application/json" } });
  }
}

function bucketHeaders(object: R2Object, length: number): Headers {
  return new Headers({
    "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
    "content-length": String(length),
  });
}

function rangeOf(object: R2ObjectBody): { offset: number; length: number } | undefined {
  const range = object.range as { offset?: number; length?: number; suffix?: number } | undefined;
  if (!range) return undefined;
  if (range.suffix !== undefined)
    return { offset: Math.max(0, object.size - range.suffix), length: Math.min(range.suffix, object.size) };
  const offset = range.offset ?? 0;
  return { offset, length: range.length ?? object.size - offset };
}
