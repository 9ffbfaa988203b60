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
import { declaredSize, logStoreFailure, MAX_MANIFEST_BYTES, manifestFillFits } from "./by-digest";
import type { CachedContent } from "./content";
import type { Answer, CacheRequest } from "./context";
import { fetchLeading, type Landing, leadFill, settleWith } from "./flight";
import { contentKey, tagKey } from "./keys";
import { probeAhead, referencesOf } from "./references";
import { readVerified } from "./verify";
import { isLinked, link, servedToEveryone } from "./visibility";

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

/** Who answered the call a record is written from (a fallback: see servedToEveryone), and so how long it is kept. */
interface RecordSource {
  maxAge: number;
  fromFallback: boolean;
}

/** How long a record is kept after its last check: the window in which a failing upstream can be stood in for. */
const RECORD_MAX_AGE_SECONDS = 7 * 86_400;

/**
 * How long to keep a record of what the last upstream call said: a fallback's word (it may lag the route's registry)
 * lasts TAG_TTL_SECONDS at most, so the tag is asked of the route's registry again once it answers; 0 keeps none.
 */
function recordAge(cx: CacheRequest, fromFallback: boolean): number {
  return fromFallback ? Math.floor(cx.config.tagTtlMs / 1000) : RECORD_MAX_AGE_SECONDS;
}

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
  // A fallback's word on a tag admits no cached bytes (it may name a digest it does not serve, or lag the route's
  // registry): a HEAD gets its answer as it is, a GET is fetched, so the client gets what the fallback holds.
  if (cx.trace.fallback !== undefined) {
    if (cx.request.method === "HEAD") return { source: "upstream", response: head, status: "MISS" };
    await head.body?.cancel();
    return fetchTag(cx, key);
  }
  const size = declaredSize(head.headers).size ?? (digest === record?.digest ? record.size : undefined);
  const mediaType = head.headers.get("content-type") ?? record?.mediaType;
  if (size === undefined || mediaType === undefined) return fetchTag(cx, key);
  const current: TagRecord = { digest, mediaType, size, checkedAt: Date.now(), shared: false };
  const served = await fromRecord(cx, current, "REVALIDATED");
  if (!served) return fetchTag(cx, key);
  cx.defer(saveRecord(cx, key, current, { maxAge: recordAge(cx, false), fromFallback: false }, record));
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
  const fromFallback = cx.trace.fallback !== undefined;
  const maxAge = recordAge(cx, fromFallback);
  const digest = validDigest(upstream.headers.get("docker-content-digest"));
  const mediaType = upstream.headers.get("content-type");
  // The same fill rule as a manifest by digest: a fill it does not allow streams through, unrecorded.
  if (!manifestFillFits(declaredSize(upstream.headers).size)) {
    landing?.(false);
    return { source: "upstream", response: upstream, status: "MISS" };
  }
  if (upstream.status !== 200 || !mediaType || cx.request.method === "HEAD" || !upstream.body) {
    landing?.(false);
    const size = declaredSize(upstream.headers).size;
    if (upstream.status === 200 && mediaType && digest && size !== undefined)
      cx.defer(
        saveRecord(
          cx,
          key,
          { digest, mediaType, size, checkedAt: Date.now(), shared: false },
          { maxAge, fromFallback },
        ),
      );
    return { source: "upstream", response: upstream, status: "MISS" };
  }
  const [client, copy] = upstream.body.tee();
  const fill = storeTagged(cx, key, copy, digest, mediaType, { maxAge, fromFallback });
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
  { maxAge, fromFallback }: RecordSource,
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
  // Then the manifest is linked to this repository, and its references probed ahead, never linked on its word.
  const object = { digest: stored.digest, size: stored.bytes.byteLength };
  const shared = await servedToEveryone(cx, object, fromFallback);
  if (shared) {
    await link(cx, stored.digest);
    cx.defer(probeAhead(cx, referencesOf(stored.bytes))); // apart from the fill its followers wait for
  }
  const record = { digest: stored.digest, mediaType, size: stored.bytes.byteLength, checkedAt: Date.now(), shared };
  if (maxAge > 0) await cx.cache.putRecord(key, record, maxAge);
  return true;
}

/**
 * Writes a record, deciding afresh whether the tag is served to everyone (a repository can turn private, or public):
 * when an anonymous HEAD of the tag names this very digest (which links that manifest to the repository). A shared
 * tag that still names the same digest, while that manifest's link lasts, needs no new probe: so a tag stays public
 * at most SHARED_TTL_SECONDS plus TAG_TTL_SECONDS after its repository turns private.
 */
async function saveRecord(
  cx: CacheRequest,
  key: string,
  record: TagRecord,
  { maxAge, fromFallback }: RecordSource,
  previous?: TagRecord,
): Promise<void> {
  if (maxAge <= 0) return;
  const unchanged =
    previous?.shared === true && previous.digest === record.digest && (await isLinked(cx, record.digest));
  const expected = { digest: record.digest, size: record.size };
  const shared = unchanged || (await servedToEveryone(cx, expected, fromFallback));
  if (shared && !unchanged) await link(cx, record.digest);
  await cx.cache.putRecord(key, { ...record, shared }, maxAge);
}

function validDigest(value: string | null): string | undefined {
  return value !== null && isDigest(value) ? value : undefined;
}
