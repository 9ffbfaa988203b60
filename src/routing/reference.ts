/**
 * The OCI reference grammar and the one rule that maps a client's repository name to the upstream's.
 * Grammar: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import type { Upstream } from "../config/registries";
import { RegistryError } from "../core/errors";

const PATH_COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Hex lengths of the algorithms registered in the image spec; other algorithms need only match the grammar. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };
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

/** Throws DIGEST_INVALID unless `digest` is well formed (and of the right length for sha256/sha512). */
export function assertDigest(digest: string): void {
  const [algorithm = "", encoded = ""] = digest.split(":", 2);
  const expectedLength = DIGEST_HEX_LENGTH[algorithm];
  const wellFormed = DIGEST.test(digest) && (expectedLength === undefined || new RegExp(`^[a-f0-9]{${expectedLength}}$`).test(encoded));
  if (!wellFormed) throw new RegistryError("DIGEST_INVALID", "invalid digest", { detail: { digest } });
}

/** Throws TAG_INVALID or DIGEST_INVALID unless `reference` is a valid tag or digest. */
export function assertManifestReference(reference: string): void {
  if (isDigest(reference)) assertDigest(reference);
  else if (!TAG.test(reference)) throw new RegistryError("TAG_INVALID", "invalid tag", { detail: { tag: reference } });
}

/**
 * Splits a registry host off the front of a name (`ghcr.io/owner/img`), when the first component names a configured
 * upstream. Returns undefined when it does not, so the whole name belongs to the current route.
 */
export function splitRegistryPrefix(name: string, upstreamsByHost: ReadonlyMap<string, Upstream>): { upstream: Upstream; rest: string } | undefined {
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
