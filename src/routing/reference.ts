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
const DIGEST_HEX = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ } as const;
/** distribution's limit on a repository name. */
const MAX_REPOSITORY_LENGTH = 255;

/** Throws NAME_INVALID unless `name` is a repository name in the spec's grammar. */
export function assertRepository(name: string): void {
  if (name.length > MAX_REPOSITORY_LENGTH || !REPOSITORY.test(name)) {
    throw new RegistryError("NAME_INVALID", "invalid repository name", { detail: { name } });
  }
}

/** True when `reference` is a digest (`algorithm:encoded`) rather than a tag. */
export function isDigest(reference: string): boolean {
  return reference.includes(":");
}

/** Throws DIGEST_INVALID unless `digest` is a sha256 or sha512 digest: lower-case hex of the algorithm's length. */
export function assertDigest(digest: string): void {
  const colon = digest.indexOf(":");
  const algorithm = digest.slice(0, colon);
  const hex = Object.hasOwn(DIGEST_HEX, algorithm) ? DIGEST_HEX[algorithm as keyof typeof DIGEST_HEX] : undefined;
  if (colon < 0 || !hex?.test(digest.slice(colon + 1))) {
    throw new RegistryError("DIGEST_INVALID", "invalid digest: sha256 or sha512, lower-case hex", {
      detail: { digest },
    });
  }
}

/** Throws TAG_INVALID or DIGEST_INVALID unless `reference` is a valid tag or digest. */
export function assertManifestReference(reference: string): void {
  if (isDigest(reference)) assertDigest(reference);
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
