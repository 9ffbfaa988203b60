/**
 * The repository allow and deny lists, on the name the upstream sees (after `?ns=`, path-prefix routing and
 * `library/`), so no spelling of a name reaches a refused repository. Mirror users are mirror-auth.ts's business.
 */
import type { Config } from "../config/config";
import type { Upstream } from "../config/registries";
import { RegistryError } from "../core/errors";
import { namesRepository, type Target } from "../routing/target";

/** Throws 403 DENIED unless the target's repository may be served: not denied, and allowed when there is a list. */
export function assertRepositoryAllowed(target: Target, config: Config): void {
  if (!namesRepository(target)) return;
  if (!isRepositoryAllowed(target.upstream, target.repository, config)) {
    // Named by route, not registry host: an UPSTREAMS entry's host may be internal.
    const { repository, upstream } = target;
    throw new RegistryError(
      "DENIED",
      `the image ${repository} of route ${upstream.name} is not allowed on this mirror`,
      { detail: { repository, route: upstream.name } },
    );
  }
}

/** Whether a normalised repository of an upstream may be served. Deny wins; with an allow list, unlisted is denied. */
export function isRepositoryAllowed(upstream: Upstream, repository: string, config: Config): boolean {
  const { allowed, denied } = config.access;
  if (denied.get(upstream.registry)?.(repository)) return false;
  return allowed === undefined || allowed.get(upstream.registry)?.(repository) === true;
}
