/**
 * Who may be served what from the cache: one link record per repository and digest, as distribution links a blob
 * or manifest to each repository that holds it and answers 404 for it under any other. Cached bytes go to any client
 * under repository R only while a link says the upstream served *that object in R* to a request without credentials
 * (neither the client's nor the owner's), or an anonymous probe of that object in R (redirects followed) got it.
 * A manifest's word links nothing: anyone can publish a manifest naming a digest they do not hold (a foreign layer,
 * an index's child); its references are at most probed ahead, each on its own evidence (references.ts).
 * Links expire after SHARED_TTL_SECONDS, in the edge cache and in R2. Without a link, cached bytes are served under R
 * only after the upstream has confirmed, with a HEAD in R carrying this client's own credentials (or none), that it
 * would serve them to this client; when that check cannot be made, the request goes upstream as if nothing were cached.
 * A repository's "private" verdict is remembered only to skip probes: it can narrow what is shared, never widen it.
 */

import { registryIdentity } from "../config/registries";
import { withBound } from "../core/bound";
import { upstreamFailure } from "../core/errors";
import { type Flights, join } from "../core/flight";
import { isolate } from "../core/isolate";
import type { CacheRequest } from "./context";
import { linkKey, visibilityKey } from "./keys";

/** How long a link lasts after the upstream last served the object to everyone in its repository (README). */
export const SHARED_TTL_SECONDS = 86_400;
/** How long a repository's "private" verdict spares anonymous probes of its objects. */
export const PRIVATE_HINT_TTL_SECONDS = 3600;
/** Repositories found private: key -> until when (ms). A hint only: it can make a probe unnecessary, never a share. */
const privateHints = isolate.memory<string, number>("private repositories", 1000);
/** Anonymous probes under way in this isolate: concurrent misses of one object share one probe (undefined: no verdict). */
const probes: Flights<boolean | undefined> = isolate.memory("probes under way", 1000);

/** A link record: until when (ms since the epoch) the object may go to any client under its repository. */
interface LinkRecord {
  until: number;
}

/** What an answer must show to count as the object: its digest, or (from blob storage, which sends none) its size. */
export interface Expected {
  digest: string;
  size?: number;
}

/** Whether the object may be served from cache to any client under the request's repository now. */
export async function isLinked(cx: CacheRequest, digest: string): Promise<boolean> {
  const record = await cx.cache.getRecord<LinkRecord>(linkOf(cx, digest), { global: true });
  return typeof record?.until === "number" && record.until > Date.now();
}

/** Writes the link of an object the upstream was just seen serving to everyone in the request's repository. */
export async function link(cx: CacheRequest, digest: string): Promise<void> {
  const record: LinkRecord = { until: Date.now() + SHARED_TTL_SECONDS * 1000 };
  await cx.cache.putRecord(linkOf(cx, digest), record, SHARED_TTL_SECONDS, { global: true });
}

/**
 * Whether the upstream confirms this client may read the target: a HEAD with the client's own headers, redirects
 * followed, to the route's registry alone (a fallback's 200 says nothing about who may read it there). Only an answer
 * that is the object counts (a redirect to a login page is a no); any failure, a 429 included, is a no.
 */
export async function clientMayRead(cx: CacheRequest, expected: Expected): Promise<boolean> {
  try {
    const response = await cx.origin.fetch({ method: "HEAD", fallbacks: false });
    await response.body?.cancel();
    return isTheObject(response, expected);
  } catch {
    return false;
  }
}

/**
 * Whether the upstream serves this object in this repository to everyone: yes when the route's own registry answered
 * this request and no credentials went with it (neither the client's nor the Worker's own), otherwise only if an
 * anonymous probe of the route's registry gets it. `fromFallback`: a fallback gave the answer in hand, which is no
 * evidence about the route's registry (it may lag it, or answer loosely).
 */
export async function servedToEveryone(cx: CacheRequest, expected: Expected, fromFallback: boolean): Promise<boolean> {
  if (!fromFallback && !cx.origin.sendsCredentials()) return true;
  const registry = registryIdentity(cx.target.upstream);
  const repositoryKey = visibilityKey(registry, cx.target.repository);
  if ((privateHints.get(repositoryKey) ?? 0) > Date.now()) return false;
  const probeKey = `${repositoryKey}/${cx.target.reference}/${expected.digest}`;
  const probe = join(probes, probeKey, () => probeAnonymously(cx, expected));
  // A follower waits with its own bound: a probe that never settles (its request gone) must not hold every later one.
  const open = await withBound(probe, cx.config.upstreamTimeoutMs * 2, undefined);
  // Only the registry's own answer is a verdict: a 429, a 5xx or no answer says nothing about who may read the
  // repository, and must not keep it unshared for an hour after the registry is back.
  if (open === false) privateHints.set(repositoryKey, Date.now() + PRIVATE_HINT_TTL_SECONDS * 1000);
  return open === true;
}

/**
 * Links the object to the request's repository when the upstream serves it there to everyone (`fromFallback`: see
 * servedToEveryone); returns whether linked.
 */
export async function shareIfPublic(cx: CacheRequest, expected: Expected, fromFallback: boolean): Promise<boolean> {
  // Already linked: nothing to ask, and the link keeps the expiry it was given.
  if (await isLinked(cx, expected.digest)) return true;
  if (!(await servedToEveryone(cx, expected, fromFallback))) return false;
  await link(cx, expected.digest);
  return true;
}

/**
 * Whether a final answer (redirects followed) is the object asked for: a 200 that names its digest, or, from blob
 * storage (which names none), one of its exact size that is not a web page. A login page is neither, nor is a 200
 * naming another digest.
 */
export function isTheObject(response: Response, expected: Expected): boolean {
  if (response.status !== 200) return false;
  const digest = response.headers.get("docker-content-digest");
  if (digest !== null) return digest === expected.digest;
  if (/^text\/html/i.test(response.headers.get("content-type") ?? "")) return false;
  return expected.size !== undefined && response.headers.get("content-length") === String(expected.size);
}

/**
 * Asks for the target as a client without credentials, following redirects: true only if the answer is the object;
 * undefined when the registry refused for now (429, 5xx) or gave no answer, which is no verdict either way.
 */
async function probeAnonymously(cx: CacheRequest, expected: Expected): Promise<boolean | undefined> {
  try {
    const response = await cx.origin.fetchAnonymously();
    await response.body?.cancel();
    return upstreamFailure(response) === undefined ? isTheObject(response, expected) : undefined;
  } catch (error) {
    return upstreamFailure(error) === undefined ? false : undefined;
  }
}

/** The link record's key: the registry, the request's repository, the digest. */
export function linkOf(cx: CacheRequest, digest: string): string {
  return linkKey(registryIdentity(cx.target.upstream), cx.target.repository, digest);
}
