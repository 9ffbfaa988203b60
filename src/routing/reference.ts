/**
 * The OCI reference grammar and the one rule that maps a client's repository name to the upstream's.
 * Grammar: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import type { Upstream } from "../config/registries";
import { RegistryError } from "../core/errors";

const PATH_COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/**
 * The algorithms registered in the image spec and their hex lengths. Any other algorithm fits the grammar but names
 * nothing a registry can verify, so it is refused here rather than sent upstream.
 * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#registered-algorithms
 */
const DIGEST_HEX_LENGTH = { sha256: 64, sha512: 128 } as const;
/** A digest algorithm this mirror can verify. */
export type DigestAlgorithm = keyof typeof DIGEST_HEX_LENGTH;
const LOWER_HEX = /^[a-f0-9]+$/;
/** distribution's limit on a repository name. */
const MAX_REPOSITORY_LENGTH = 255;

/** Throws NAME_INVALID unless `name` is a repository name in the spec's grammar. */
export function assertRepository(name: string): void {
  if (name.length > MAX_REPOSITORY_LENGTH || !REPOSITORY.test(name)) {
    throw new RegistryError("NAME_INVALID", "invalid repository name", { detail: { name } });
  }
}

/**
 * The parts of a digest this mirror accepts: a registered algorithm and lower-case hex of its length (sha256: 64,
 * sha512: 128). The one home of the digest grammar: the cache, the router and manifest parsing all ask here.
 */
export function parseDigest(value: string): { algorithm: DigestAlgorithm; encoded: string } | undefined {
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  if (colon < 0 || !Object.hasOwn(DIGEST_HEX_LENGTH, algorithm)) return undefined;
  const known = algorithm as DigestAlgorithm;
  const encoded = value.slice(colon + 1);
  return encoded.length === DIGEST_HEX_LENGTH[known] && LOWER_HEX.test(encoded)
    ? { algorithm: known, encoded }
    : undefined;
}

/** True when `value` is a digest this mirror accepts (see parseDigest). */
export function isDigest(value: string): boolean {
  return parseDigest(value) !== undefined;
}

/** Throws DIGEST_INVALID unless `digest` is a sha256 or sha512 digest: lower-case hex of the algorithm's length. */
export function assertDigest(digest: string): void {
  if (!isDigest(digest)) {
    throw new RegistryError("DIGEST_INVALID", "invalid digest: sha256 or sha512, lower-case hex", {
      detail: { digest },
    });
  }
}

/** Throws TAG_INVALID or DIGEST_INVALID unless `reference` is a valid tag or digest. */
export function assertManifestReference(reference: string): void {
  // A tag can hold no colon, so one means the client meant a digest (and a malformed one is DIGEST_INVALID).
  if (reference.includes(":")) assertDigest(reference);
  else assertTag(reference);
}

/** Throws TAG_INVALID unless `tag` is a tag in the spec's grammar; `detail` says where it came from. */
export function assertTag(tag: string, detail: unknown = { tag }): void {
  if (!TAG.test(tag)) throw new RegistryError("TAG_INVALID", "invalid tag", { detail });
}

/**
 * Splits a registry host off the front of a name (`ghcr.io/owner/img`), when the first component names a configured
 * upstream. Returns undefined when it does not, so the whole name belongs to the current route.
 */
export function splitRegistryPrefix(
  name: string,
  upstreamsByHost: ReadonlyMap<string, Upstream>,
): { upstream: Upstream; rest: string } | undefined {
  const slash = name.indexOf("/");
  if (slash <= 0) return undefined;
  const upstream = upstreamsByHost.get(name.slice(0, slash).toLowerCase());
  return upstream ? { upstream, rest: name.slice(slash + 1) } : undefined;
}

/** True when the first component of `name` is one of this upstream's registry hosts. */
export function startsWithOwnHost(name: string, upstream: Upstream): boolean {
  const slash = name.indexOf("/");
  return slash > 0 && upstream.hosts.includes(name.slice(0, slash).toLowerCase());
}
