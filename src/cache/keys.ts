/**
 * Names of everything the edge cache keeps. Content is named by what it is (registry identity, config/registries.ts, + digest), never by the URL it
 * was asked for, so `alpine` and `library/alpine`, or two repositories sharing a layer, find the same bytes. No key
 * ever holds a credential. Each name is a path used both under the Cache API's origin and as the R2 object key.
 */
import { before } from "../core/parse";
import { type DigestAlgorithm, parseDigest } from "../routing/reference";

/** Digests are content addresses: blobs and manifests are kept apart only because their headers differ. */
export type ContentKind = "blobs" | "manifests";

/** Bump to orphan every old entry at once if the stored format changes. */
const VERSION = "v1";
/** The digest algorithms registered in the image spec, with the name WebCrypto, DigestStream and R2 know them by. */
const HASHES: Record<DigestAlgorithm, Hash> = {
  sha256: { name: "SHA-256", r2: "sha256" },
  sha512: { name: "SHA-512", r2: "sha512" },
};

/** A digest algorithm as WebCrypto, DigestStream and R2 name it. */
export interface Hash {
  name: "SHA-256" | "SHA-512";
  r2: DigestAlgorithm;
}

/**
 * The origin every cache key lives under. A Cache API key is a URL, and Cloudflare asks that its hostname be one of
 * the Worker's own zone, so it is derived from the deployment's configured host (MIRROR_HOST), never from the
 * request: `docker.example.com`, `example.com` and any invented label then share one entry, and nobody can make the
 * mirror pull an image upstream again by asking under a new name. Without MIRROR_HOST (workers.dev, local runs) the
 * Cache API keeps nothing anyway (workers.dev has no zone cache), so one fixed name serves: it only has to be the
 * same for every request. R2 keys are the paths alone and need no origin.
 */
export function cacheOrigin(mirrorHost: string | undefined): string {
  return `https://${mirrorHost ?? "edgehub-cache.invalid"}`;
}

/** Where the bytes of a digest live. */
export function contentKey(registry: string, kind: ContentKind, digest: string): string {
  return `${VERSION}/${registry}/${kind}/${digest.replace(":", "/")}`;
}

/** The marker saying a digest's bytes were served to anonymous clients, so any client may have them from cache. */
export function sharedKey(registry: string, digest: string): string {
  return `${VERSION}/${registry}/shared/${digest.replace(":", "/")}`;
}

/** Whether a repository was readable anonymously when last asked. */
export function visibilityKey(registry: string, repository: string): string {
  return `${VERSION}/${registry}/visibility/${repository}`;
}

/**
 * Which digest a tag pointed at, for one set of accepted media types: a registry answers a client that does not
 * accept an index with a single-platform manifest, so the same tag can name different manifests for different clients.
 */
export async function tagKey(
  registry: string,
  repository: string,
  tag: string,
  accept: string | null,
): Promise<string> {
  const variant = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(normalizeAccept(accept))),
  );
  const hex = [...variant.slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${VERSION}/${registry}/tags/${repository}/${tag}/${hex}`;
}

/** Accept as a set of media types: order, quality values, case and repeats do not change what a registry returns. */
export function normalizeAccept(accept: string | null): string {
  const types = (accept ?? "")
    .split(",")
    .map((part) => before(part, ";").trim().toLowerCase())
    .filter(Boolean);
  return [...new Set(types)].sort().join(",");
}

/** The hash behind a digest, or undefined for one we cannot verify (routing/reference.ts's grammar; never stored). */
export function digestAlgorithm(digest: string): Hash | undefined {
  const parsed = parseDigest(digest);
  return parsed && HASHES[parsed.algorithm];
}

/** The hash of a digest algorithm. */
export function hashOf(algorithm: DigestAlgorithm): Hash {
  return HASHES[algorithm];
}

/** Formats a hash as an OCI digest. */
export function formatDigest(algorithm: string, hash: ArrayBuffer): string {
  return `${algorithm}:${[...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
