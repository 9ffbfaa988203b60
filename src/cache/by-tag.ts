/**
 * Manifests by tag: mutable, so the cache keeps a small record of the digest a tag last named. A fresh record of a
 * public repository answers without asking anyone; otherwise an upstream HEAD (which Docker Hub does not count as a
 * pull) revalidates it: same digest, or one already cached, is served from cache; else the manifest is fetched.
 * If the upstream fails, a public record's manifest is served stale, saying so.
 * Docker Hub pull counting: https://docs.docker.com/docker-hub/usage/pulls/
 */
import { registryIdentity } from "../config/registries";
import { upstreamFailure } from "../core/errors";
import { isDigest } from "../routing/reference";
import type { CacheStatus } from "../routing/routed";
import { declaredSize, logStoreFailure, MAX_MANIFEST_BYTES } from "./by-digest";
import type { CachedContent } from "./content";
import type { Answer, CacheRequest } from "./context";
import { fetchLeading, type Landing, leadFill, settleWith } from "./flight";
import { contentKey, tagKey } from "./keys";
import { readVerified } from "./verify";
import { isShared, markShared, referencesOf, servedToEveryone } from "./visibility";

/** What a tag named when last checked. */
interface TagRecord {
  digest: string;
  mediaType: string;
  size: number;
  /** When the upstream last confirmed it (ms since the epoch). */
  checkedAt: number;
  /** Whether the upstream serves this tag to anonymous clients: only then may a record answer without asking. */
  shared: boolean;
}

/** How long a record is kept after its last check: the window in which a failing upstream can be stood in for. */
const RECORD_MAX_AGE_SECONDS = 7 * 86_400;

/** Serves a manifest by tag: from a fresh shared record, after revalidation, stale on upstream failure, or fetched. */
export async function serveByTag(cx: CacheRequest): Promise<Answer> {
  const { target, request } = cx;
  const key = await tagKey(
    registryIdentity(target.upstream),
    target.repository,
    target.reference,
    request.headers.get("accept"),
  );
  const record = await cx.cache.getRecord<TagRecord>(key);
  if (record?.shared && Date.now() - record.checkedAt < cx.config.tagTtlMs)
    return (await fromRecord(cx, record, "HIT")) ?? fetchTag(cx, key);
  // No record for this client's Accept set is revalidated too: another client may have cached the manifest the tag
  // names, and a HEAD is not a pull where a GET would be. A HEAD request is answered by the upstream's HEAD itself.
  if (!record && cx.request.method === "HEAD") return fetchTag(cx, key);
  return revalidate(cx, key, record);
}

/** Asks the upstream (HEAD, with the client's credentials) what the tag names now, and answers accordingly. */
async function revalidate(cx: CacheRequest, key: string, record: TagRecord | undefined): Promise<Answer> {
  let head: Response;
  try {
    head = await cx.origin.fetch({ method: "HEAD" });
  } catch (error) {
    if (upstreamFailure(error) === undefined) throw error;
    const stale = await staleCopy(cx, record);
    if (stale) return stale;
    throw error;
  }
  if (upstreamFailure(head) !== undefined) {
    await head.body?.cancel();
    return (await staleCopy(cx, record)) ?? passThrough(cx, head);
  }
  const digest = validDigest(head.headers.get("docker-content-digest"));
  if (!head.ok || !digest) return passThrough(cx, head);
  const size = declaredSize(head.headers).size ?? (digest === record?.digest ? record.size : undefined);
  const mediaType = head.headers.get("content-type") ?? record?.mediaType;
  if (size === undefined || mediaType === undefined) return fetchTag(cx, key);
  const current: TagRecord = { digest, mediaType, size, checkedAt: Date.now(), shared: false };
  const served = await fromRecord(cx, current, "REVALIDATED");
  if (!served) return fetchTag(cx, key);
  cx.defer(saveRecord(cx, key, current, record));
  return served;
}

/** A failing upstream's stand-in: the last manifest of a public tag, if it is still cached. */
async function staleCopy(cx: CacheRequest, record: TagRecord | undefined): Promise<Answer | undefined> {
  return record?.shared ? fromRecord(cx, record, "STALE") : undefined;
}

/**
 * The upstream's own answer: for a HEAD, the HEAD itself. For a GET, a 401 becomes the standard challenge error
 * (clients only act on its WWW-Authenticate), and anything else is asked again as a GET, whose body clients show.
 */
async function passThrough(cx: CacheRequest, head: Response): Promise<Answer> {
  if (cx.request.method === "HEAD") return { source: "upstream", response: head, status: "MISS" };
  await head.body?.cancel();
  if (head.status === 401 && head.headers.has("www-authenticate")) return { source: "challenge", response: head };
  return { source: "upstream", response: await cx.origin.fetch(), status: "MISS" };
}

/** Answers from a record: HEAD needs only the record, GET the manifest bytes by digest (undefined if evicted). */
async function fromRecord(cx: CacheRequest, record: TagRecord, status: CacheStatus): Promise<Answer | undefined> {
  let content: CachedContent | undefined;
  if (cx.request.method === "HEAD") {
    content = {
      status: 200,
      headers: new Headers({ "content-type": record.mediaType, "content-length": String(record.size) }),
      body: null,
    };
  } else {
    content = await cx.cache.getContent(contentKey(registryIdentity(cx.target.upstream), "manifests", record.digest), {
      head: false,
      range: null,
    });
  }
  return content && { source: "cache", content, digest: record.digest, status };
}

/**
 * Fetches the manifest by tag; a 200 is passed to the client and, off the response path, recorded and stored. A GET
 * that misses while another request of this isolate fetches the same tag waits for that fill (flight.ts) and is
 * served from it when the tag turned out public; otherwise, or past its bound, it fetches for itself.
 */
async function fetchTag(cx: CacheRequest, key: string): Promise<Answer> {
  let landing: Landing | undefined;
  if (cx.request.method === "GET") {
    const flight = await leadFill(key, async () => {
      const record = await cx.cache.getRecord<TagRecord>(key);
      return record?.shared ? fromRecord(cx, record, "HIT") : undefined;
    });
    if ("landed" in flight) return flight.landed;
    landing = flight.landing;
  }
  const upstream = await fetchLeading(landing, () => cx.origin.fetch());
  const digest = validDigest(upstream.headers.get("docker-content-digest"));
  const mediaType = upstream.headers.get("content-type");
  if (upstream.status !== 200 || !mediaType || cx.request.method === "HEAD" || !upstream.body) {
    landing?.(false);
    const size = declaredSize(upstream.headers).size;
    if (upstream.status === 200 && mediaType && digest && size !== undefined)
      cx.defer(saveRecord(cx, key, { digest, mediaType, size, checkedAt: Date.now(), shared: false }));
    return { source: "upstream", response: upstream, status: "MISS" };
  }
  const [client, copy] = upstream.body.tee();
  const fill = storeTagged(cx, key, copy, digest, mediaType);
  cx.defer(settleWith(landing, fill));
  return { source: "upstream", response: new Response(client, upstream), status: "MISS" };
}

/** Verifies and stores a manifest fetched by tag, then records the tag; resolves whether the record was written. */
async function storeTagged(
  cx: CacheRequest,
  key: string,
  body: ReadableStream<Uint8Array>,
  expected: string | undefined,
  mediaType: string,
): Promise<boolean> {
  let stored: { bytes: Uint8Array; digest: string };
  try {
    stored = await readVerified(body, expected, MAX_MANIFEST_BYTES);
    const meta = { digest: stored.digest, contentType: mediaType, size: stored.bytes.byteLength };
    await cx.cache.putBytes(
      contentKey(registryIdentity(cx.target.upstream), "manifests", stored.digest),
      stored.bytes,
      meta,
    );
  } catch (error) {
    logStoreFailure(cx, error);
    return false;
  }
  // The tag itself must be served to everyone (its digest being public is not enough: a private tag may name it).
  const shared = await servedToEveryone(cx, { digest: stored.digest, size: stored.bytes.byteLength });
  if (shared) await markShared(cx, [stored.digest, ...referencesOf(stored.bytes)]);
  const record = { digest: stored.digest, mediaType, size: stored.bytes.byteLength, checkedAt: Date.now(), shared };
  await cx.cache.putRecord(key, record, RECORD_MAX_AGE_SECONDS);
  return true;
}

/**
 * Writes a record, deciding afresh whether the tag is served to everyone (a repository can turn private, or public):
 * when an anonymous HEAD of the tag names this very digest. A shared tag that still names the same digest, while
 * that digest's shared marker lasts, needs no new probe: so a tag stays public at most SHARED_TTL_SECONDS plus
 * TAG_TTL_SECONDS after its repository turns private.
 */
async function saveRecord(cx: CacheRequest, key: string, record: TagRecord, previous?: TagRecord): Promise<void> {
  const unchanged =
    previous?.shared === true && previous.digest === record.digest && (await isShared(cx, record.digest));
  const shared = unchanged || (await servedToEveryone(cx, { digest: record.digest, size: record.size }));
  await cx.cache.putRecord(key, { ...record, shared }, RECORD_MAX_AGE_SECONDS);
}

function validDigest(value: string | null): string | undefined {
  return value !== null && isDigest(value) ? value : undefined;
}
