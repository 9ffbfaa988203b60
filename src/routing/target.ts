/**
 * What a routed request asks for, as a union on `kind`: the kinds that name a repository carry it, the kinds that
 * name an object carry its reference too, so no step has to assert that a field is there.
 */
import type { Upstream } from "../config/registries";

/** How the upstream was chosen; the token realm handed to clients must carry the same choice. */
export type RouteVia = "ns" | "prefix" | "subdomain" | "default";

/** Which upstream, and how it was chosen. */
interface Routed {
  upstream: Upstream;
  via: RouteVia;
}

/** A repository as the upstream names it (`library/alpine`) and as the client's path named it (`alpine`). */
interface Named extends Routed {
  repository: string;
  clientRepository: string;
}

/** Requests that name no repository: the page, `/token`, search, the v1 ping, and the `/v2/` version check. */
export interface PlainTarget extends Routed {
  kind: "page" | "token" | "search" | "ping" | "base";
}

/** `/v2/<name>/tags/list`. */
export interface TagsTarget extends Named {
  kind: "tags";
}

/** A manifest (by tag or digest), a blob or the referrers of a digest. */
export interface ObjectTarget extends Named {
  kind: "manifest" | "blob" | "referrers";
  reference: string;
}

/** A routed request. */
export type Target = PlainTarget | TagsTarget | ObjectTarget;

/** A target that names a repository. */
export type RepositoryTarget = TagsTarget | ObjectTarget;

/** What the client asked for. */
export type TargetKind = Target["kind"];

/** Whether a target names a repository. */
export function namesRepository(target: Target): target is RepositoryTarget {
  return "repository" in target;
}
