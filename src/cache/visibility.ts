/**
 * Who may be served what from the cache. The rule: cached bytes go to any client only when the upstream serves them
 * to anonymous clients (a public repository). Anything else is served from cache only after the upstream has
 * confirmed, with a HEAD carrying this client's own credentials, that it would serve it to this client; when that
 * check cannot be made, the request goes upstream as if nothing were cached.
 */
import { isolate } from "../core/isolate";
import type { CacheRequest } from "./context";
import { registryIdentity } from "../config/registries";
import { sharedKey, visibilityKey } from "./keys";

/** How long a repository's visibility is trusted before it is asked again. */
const VISIBILITY_TTL_SECONDS = 3600;
/** A digest once served to everyone stays shareable: its bytes are published under that name. */
const SHARED_MAX_AGE_SECONDS = 365 * 86_400;
/** Visibility verdicts this isolate has already fetched: repository key -> public, and until when. */
const remembered = isolate.memory<string, { open: boolean; until: number }>("visibility verdicts", 1000);

/** Whether a digest's bytes may be served from cache to any client. */
export async function isShared(cx: CacheRequest, digest: string): Promise<boolean> {
  return (await cx.cache.getRecord(sharedKey(registryIdentity(cx.target.upstream), digest), { global: true })) !== undefined;
}

/**
 * Whether the upstream confirms this client may read the target: a HEAD with the client's own headers. A redirect
 * counts as yes (registries redirect to blob storage only after authorising); any failure counts as no.
 */
export async function clientMayRead(cx: CacheRequest): Promise<boolean> {
  try {
    const response = await cx.origin.fetch({ method: "HEAD", returnRedirects: true });
    await response.body?.cancel();
    return response.status < 400;
  } catch {
    return false;
  }
}

/**
 * Whether what the upstream just served this request it serves to everyone: yes when no credentials went upstream
 * with it (neither the client's nor the Worker's own), otherwise the repository's remembered
 * visibility, or an anonymous probe of the same object.
 */
export async function servedToEveryone(cx: CacheRequest): Promise<boolean> {
  if (!cx.origin.sendsCredentials()) return true;
  const key = visibilityKey(registryIdentity(cx.target.upstream), cx.target.repository);
  const known = remembered.get(key);
  if (known && known.until > Date.now()) return known.open;
  const stored = await cx.cache.getRecord<{ open: boolean; until: number }>(key);
  if (stored && stored.until > Date.now()) {
    remembered.set(key, stored);
    return stored.open;
  }
  const open = await probeAnonymously(cx);
  if (open === undefined) return false;
  const verdict = { open, until: Date.now() + VISIBILITY_TTL_SECONDS * 1000 };
  remembered.set(key, verdict);
  await cx.cache.putRecord(key, verdict, VISIBILITY_TTL_SECONDS);
  return open;
}

/** Marks digests as shareable when this request's content is served to everyone; returns whether it was. */
export async function shareIfPublic(cx: CacheRequest, digests: string[]): Promise<boolean> {
  if (!(await servedToEveryone(cx))) return false;
  const registry = registryIdentity(cx.target.upstream);
  const record = { repository: cx.target.repository };
  await Promise.all(digests.map((digest) => cx.cache.putRecord(sharedKey(registry, digest), record, SHARED_MAX_AGE_SECONDS, { global: true })));
  return true;
}

/** Asks for the target as a client without credentials: true if served (or redirected), false if refused, else unknown. */
async function probeAnonymously(cx: CacheRequest): Promise<boolean | undefined> {
  try {
    const response = await cx.origin.fetchAnonymously();
    await response.body?.cancel();
    if (response.status < 400) return true;
    if (response.status === 401 || response.status === 403 || response.status === 404) return false;
    return undefined;
  } catch {
    return undefined;
  }
}
