/**
 * What a manifest names, and the bounded work done ahead for it. A manifest's references (config, layers, an index's
 * manifests) are never linked on its word (visibility.ts); once the manifest is linked to its repository, they may be
 * probed there anonymously, in the background: at most PROBES_AHEAD per request, PROBE_LANES at a time, each once per
 * isolate while PRIVATE_HINT_TTL_SECONDS lasts. References past the bound are not worked on ahead: each is decided
 * when it is asked for. So a manifest naming 15,000 digests costs what a small one does.
 */
import { isolate } from "../core/isolate";
import { isRecord, parseJson } from "../core/parse";
import { isDigest } from "../routing/reference";
import type { CacheRequest } from "./context";
import { type Expected, isLinked, isTheObject, link, linkOf, PRIVATE_HINT_TTL_SECONDS } from "./visibility";

/**
 * The most references of one manifest a request probes ahead. A probe is one to three upstream subrequests (the
 * registry's HEAD, a storage redirect's HEAD, and a GET when storage refuses HEAD), plus a link read and write: 10
 * keep a request well inside the free plan's 50 external subrequests, next to its own few (token, manifest, probe).
 */
export const PROBES_AHEAD = 10;
/** How many probes ahead run at once. */
export const PROBE_LANES = 3;
/** References probed ahead lately: link key -> until when (ms), so a manifest pulled often probes each once. */
const probedAhead = isolate.memory<string, number>("references probed ahead", 5000);

/** An object a manifest names: a blob (config, layer) or a manifest (an index's child), with its declared size. */
export interface Reference extends Expected {
  kind: "blob" | "manifest";
}

/** The objects a manifest or index names (config, layers, child manifests), first to last; none for other bytes. */
export function referencesOf(manifest: Uint8Array): Reference[] {
  const parsed = parseJson(manifest);
  if (!isRecord(parsed)) return [];
  const blobs = [parsed.config, ...(Array.isArray(parsed.layers) ? parsed.layers : [])];
  const manifests = Array.isArray(parsed.manifests) ? parsed.manifests : [];
  return [
    ...blobs.flatMap((entry: unknown) => described(entry, "blob")),
    ...manifests.flatMap((entry: unknown) => described(entry, "manifest")),
  ];
}

/**
 * Probes a linked manifest's references anonymously in its repository and links those the upstream serves there:
 * the first PROBES_AHEAD not probed lately, PROBE_LANES at a time. Past the bound nothing is done ahead.
 */
export async function probeAhead(cx: CacheRequest, references: Reference[]): Promise<void> {
  const now = Date.now();
  const chosen: Reference[] = [];
  for (const reference of references) {
    if (chosen.length === PROBES_AHEAD) break;
    const key = linkOf(cx, reference.digest);
    if ((probedAhead.get(key) ?? 0) > now) continue;
    probedAhead.set(key, now + PRIVATE_HINT_TTL_SECONDS * 1000);
    chosen.push(reference);
  }
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let reference = chosen[next++]; reference; reference = chosen[next++]) await probeReference(cx, reference);
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_LANES, chosen.length) }, lane));
}

/** One probe ahead: links the reference if an anonymous HEAD of it in this repository gets that very object. */
async function probeReference(cx: CacheRequest, reference: Reference): Promise<void> {
  if (await isLinked(cx, reference.digest)) return;
  try {
    const response = await cx.origin.fetchAnonymously(reference);
    await response.body?.cancel();
    if (isTheObject(response, reference)) await link(cx, reference.digest);
  } catch {
    // Not linked: the reference is decided when it is asked for.
  }
}

/** A descriptor as a reference, or none when it names no digest. */
function described(entry: unknown, kind: Reference["kind"]): Reference[] {
  if (!isRecord(entry) || typeof entry.digest !== "string" || !isDigest(entry.digest)) return [];
  const size = Number.isSafeInteger(entry.size) ? { size: entry.size as number } : {};
  return [{ kind, digest: entry.digest, ...size }];
}
