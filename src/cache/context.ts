/**
 * What the cache step is handed and what it hands back. It never reaches the network or shapes a client response
 * itself: it asks the upstream through `Origin`, and answers with an `Answer` that respond/ turns into the response.
 */
import type { CacheStatus, RoutedRequest } from "../routing/routed";
import type { ObjectTarget } from "../routing/target";
import type { CachedContent, CacheStore } from "./content";

/** The upstream, as far as the cache needs it, bound to one request. */
export interface Origin {
  /**
   * The target from its upstream as this client may have it, redirects followed; `method: "HEAD"` checks. When the
   * route's registry refuses for now, its fallbacks answer, unless `fallbacks: false` (an access check: only the
   * route's own registry may say who may have what).
   */
  fetch(options?: { method?: "HEAD"; fallbacks?: false }): Promise<Response>;
  /**
   * A HEAD of the target (or of `object`, another blob or manifest in the same repository) as a client without
   * credentials would ask it (with the anonymous token the upstream's realm hands out), redirects followed without
   * credentials: does the upstream serve it to everyone, in this repository?
   */
  fetchAnonymously(object?: { kind: "blob" | "manifest"; digest: string }): Promise<Response>;
  /** Whether this request goes upstream with credentials (the client's own, or the Worker's). */
  sendsCredentials(): boolean;
}

/** A registry request of an object kind, with the cache, its upstream, and a way to finish work after the response. */
export interface CacheRequest extends RoutedRequest<ObjectTarget> {
  cache: CacheStore;
  origin: Origin;
  /** Runs `work` after the response has gone (ctx.waitUntil); a failure is logged, never thrown at the client. */
  defer(work: Promise<unknown>): void;
}

/** What to answer with. */
export type Answer =
  /** The upstream's response, to pass on with its allowed headers. */
  | { source: "upstream"; response: Response; status: CacheStatus }
  /** Bytes from the cache, known by their digest. */
  | { source: "cache"; content: CachedContent; digest: string; status: CacheStatus }
  /** The upstream refused a check (HEAD) made for a GET: its challenge, as an OCI error the client can act on. */
  | { source: "challenge"; response: Response };
