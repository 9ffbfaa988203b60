/**
 * Who may be served what from the cache. Shareability belongs to an object, not to a repository: a digest's bytes go
 * to any client only while a marker says the upstream served *that object* to a request without credentials (or an
 * anonymous probe of that object, redirects followed, got it), or served anonymously a manifest that references it.
 * Markers expire after SHARED_TTL_SECONDS, in the edge cache and in R2. Anything else is served from cache only
 * after the upstream has confirmed, with a HEAD carrying this client's own credentials, that it would serve it to
 * this client; when that check cannot be made, the request goes upstream as if nothing were cached.
 * A repository's "private" verdict is remembered only to skip probes: it can narrow what is shared, never widen it.
 */

import { registryIdentity } from "../config/registries";
import { withBound } from "../core/bound";
import { type Flights, join } from "../core/flight";
import { isolate } from "../core/isolate";
import { isRecord, parseJson } from "../core/parse";
import { isDigest } from "../routing/reference";
import type { CacheRequest } from "./context";
import { sharedKey, visibilityKey } from "./keys";

/** How long a digest stays shareable after the upstream last served it to everyone (README states this). */
export const SHARED_TTL_SECONDS = 86_400;
/** How long a repository's "private" verdict spares anonymous probes of its objects. */
const PRIVATE_HINT_TTL_SECONDS = 3600;
/** Repositories found private: key -> until when (ms). A hint only: it can make a probe unnecessary, never a share. */
const privateHints = isolate.memory<string, number>("private repositories", 1000);
/** Anonymous probes under way in this isolate: concurrent misses of one object share one probe. */
const probes: Flights<boolean> = isolate.memory("probes under way", 1000);

/** A shared marker: until when (ms since the epoch) the digest may go to any client. */
interface SharedMarker {
  until: number;
}

/** What an answer must show to count as the object: its digest, or (from blob storage, which sends none) its size. */
export interface Expected {
  digest: string;
  size?: number;
}

/** Whether a digest's bytes may be served from cache to any client now. */
export async function isShared(cx: CacheRequest, digest: string): Promise<boolean> {
  const marker = await cx.cache.getRecord<SharedMarker>(sharedKey(registryIdentity(cx.target.upstream), digest), {
    global: true,
  });
  return typeof marker?.until === "number" && marker.until > Date.now();
}

/**
 * Whether the upstream confirms this client may read the target: a HEAD with the client's own headers, redirects
 * followed. Only an answer that is the object counts (a redirect to a login page is a no); any failure is a no.
 */
export async function clientMayRead(cx: CacheRequest, expected: Expected): Promise<boolean> {
  try {
    const response = await cx.origin.fetch({ method: "HEAD" });
    await response.body?.cancel();
    return isTheObject(response, expected);
  } catch {
    return false;
  }
}

/**
 * Whether the upstream serves this object to everyone: yes when no credentials went upstream with this request
 * (neither the client's nor the Worker's own), otherwise only if an anonymous probe of the same object gets it.
 */
export async function servedToEveryone(cx: CacheRequest, expected: Expected): Promise<boolean> {
  if (!cx.origin.sendsCredentials()) return true;
  const registry = registryIdentity(cx.target.upstream);
  const repositoryKey = visibilityKey(registry, cx.target.repository);
  if ((privateHints.get(repositoryKey) ?? 0) > Date.now()) return false;
  const probeKey = `${repositoryKey}/${cx.target.reference}/${expected.digest}`;
  const probe = join(probes, probeKey, () => probeAnonymously(cx, expected));
  // A follower waits with its own bound: a probe that never settles (its request gone) must not hold every later one.
  const open = await withBound(probe, cx.config.upstreamTimeoutMs * 2, false);
  if (!open) privateHints.set(repositoryKey, Date.now() + PRIVATE_HINT_TTL_SECONDS * 1000);
  return open;
}

/**
 * Marks a digest, and the digests its manifest references, as shareable when the upstream serves this object to
 * everyone; returns whether it did. A manifest served anonymously makes its config, layers and child manifests
 * public too: a registry serves a repository's blobs to whoever may read its manifests.
 */
export async function shareIfPublic(cx: CacheRequest, expected: Expected, references: string[] = []): Promise<boolean> {
  // Already shared (a public manifest named it): nothing to ask, and the marker keeps the expiry it was given.
  if (await isShared(cx, expected.digest)) return true;
  if (!(await servedToEveryone(cx, expected))) return false;
  await markShared(cx, [expected.digest, ...references]);
  return true;
}

/** Writes shared markers for digests the upstream was just seen serving to everyone; they expire in SHARED_TTL_SECONDS. */
export async function markShared(cx: CacheRequest, digests: string[]): Promise<void> {
  const registry = registryIdentity(cx.target.upstream);
  const marker: SharedMarker = { until: Date.now() + SHARED_TTL_SECONDS * 1000 };
  await Promise.all(
    [...new Set(digests)].map((digest) =>
      cx.cache.putRecord(sharedKey(registry, digest), marker, SHARED_TTL_SECONDS, { global: true }),
    ),
  );
}

/** The digests a manifest or index names (config, layers, child manifests); none for bytes that are not one. */
export function referencesOf(manifest: Uint8Array): string[] {
  const parsed = parseJson(manifest) as
    | { config?: { digest?: unknown }; layers?: { digest?: unknown }[]; manifests?: { digest?: unknown }[] }
    | undefined;
  if (!isRecord(parsed)) return [];
  const named = [
    parsed.config,
    ...(Array.isArray(parsed.layers) ? parsed.layers : []),
    ...(Array.isArray(parsed.manifests) ? parsed.manifests : []),
  ];
  return named
    .map((entry) => entry?.digest)
    .filter((digest): digest is string => typeof digest === "string" && isDigest(digest));
}

/** Asks for the target as a client without credentials, following redirects: true only if the answer is the object. */
async function probeAnonymously(cx: CacheRequest, expected: Expected): Promise<boolean> {
  try {
    const response = await cx.origin.fetchAnonymously();
    await response.body?.cancel();
    return isTheObject(response, expected);
  } catch {
    return false;
  }
}

/**
 * Whether a final answer (redirects followed) is the object asked for: a 200 that names its digest, or, from blob
 * storage (which names none), one of its exact size that is not a web page. A login page is neither.
 */
function isTheObject(response: Response, expected: Expected): boolean {
  if (response.status !== 200) return false;
  const digest = response.headers.get("docker-content-digest");
  if (digest !== null) return digest === expected.digest;
  if (/^text\/html/i.test(response.headers.get("content-type") ?? "")) return false;
  return expected.size !== undefined && response.headers.get("content-length") === String(expected.size);
}
