/**
 * The content record's checks around a by-digest answer (DESIGN-cache-records.md, "the content record"): which plan a
 * fetched blob gets, and the verifying read of an entry that was only length-checked when stored.
 * - A blob whose upstream names another digest (Docker-Content-Digest) is never kept on its length alone.
 * - A length-checked entry read whole, where the budget can afford the hash, is hashed on a tee() branch after the
 *   answer: bytes that are not the digest are evicted (pointer and entry, and the R2 object) and never served again.
 *   The client that read them got what the upstream had sent for that digest, which its own digest check refuses.
 */
import { logEvent } from "../core/log";
import { type FillPlan, fillPlan, hashFits } from "./budget";
import type { CachedContent } from "./content";
import type { CacheRequest } from "./context";
import { DigestMismatch, hashStream } from "./verify";

/** The plan for a blob the upstream answered 200 with, of `size` declared bytes (`fromFallback`: see fillPlan). */
export function blobFillPlan(
  cx: CacheRequest,
  headers: Headers,
  size: number | undefined,
  options: { fromFallback?: boolean } = {},
): FillPlan {
  const plan = fillPlan(cx, size, options);
  const named = headers.get("docker-content-digest");
  return plan === "length" && named !== null && named !== cx.target.reference ? "none" : plan;
}

/** Cached content as it should be answered: a length-checked whole body the budget can hash gets hashed on the way. */
export function verifyingRead(cx: CacheRequest, key: string, content: CachedContent): CachedContent {
  const size = Number(content.headers.get("content-length"));
  if (content.check !== "length" || content.status !== 200 || !content.body || !hashFits(cx.config, size))
    return content;
  const [client, hashed] = content.body.tee();
  const digest = cx.target.reference;
  const verified = hashStream(hashed, digest).then(
    () => undefined,
    async (error: unknown) => {
      if (!(error instanceof DigestMismatch)) return; // the read broke off: nothing was learnt
      await cx.cache.evict(key);
      logEvent("error", "digest mismatch: evicted", {
        route: cx.target.upstream.name,
        repository: cx.target.repository,
        expected: digest,
        actual: error.actual,
        bytes: error.bytes,
      });
    },
  );
  cx.defer(verified);
  return { ...content, body: client };
}
