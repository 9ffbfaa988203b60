/**
 * May this client have it? Blocked User-Agents and the per-client rate limit, before anything else; then the
 * repository allow and deny lists, on the name the upstream sees (after `?ns=`, path-prefix routing and `library/`),
 * so no spelling of a name reaches a refused repository. Mirror users are mirror-auth.ts's business.
 */
import type { Config } from "./config";
import { RegistryError } from "./errors";
import { normalizeRepository } from "./reference";
import type { Upstream } from "./registries";
import type { Target } from "./route";

/** Whether a (normalised, upstream) repository name is on a list. */
export type RepositoryMatcher = (repository: string) => boolean;

/** The binding has no window to report; its longest period is 60 s, so a client that waits that long is let in. */
const RATE_LIMIT_RETRY_AFTER_SECONDS = "60";
const GLOB = /^[a-z0-9._*-]+(?:\/[a-z0-9._*-]+)*$/;

/** True when the client's User-Agent contains an entry of BLOCKED_USER_AGENTS. */
export function isBlockedAgent(request: Request, config: Config): boolean {
  const agent = (request.headers.get("user-agent") ?? "").toLowerCase();
  return config.access.blockedUserAgents.some((blocked) => agent.includes(blocked));
}

/** Refuses blocked User-Agents (403) and clients over the rate limit (429), before any upstream request. */
export async function screenClient(request: Request, config: Config): Promise<void> {
  const { rateLimiter } = config.access;
  if (isBlockedAgent(request, config)) {
    throw new RegistryError("DENIED", "this client is not allowed on this mirror: it is a container registry, not a website");
  }
  if (!rateLimiter) return;
  let allowed = true;
  try {
    allowed = (await rateLimiter.limit({ key: clientKey(request) })).success;
  } catch (error) {
    // A limiter that cannot answer must not take the mirror down with it; the failure is logged.
    console.error(JSON.stringify({ msg: "rate limiter failed", error: String(error) }));
  }
  if (!allowed) {
    throw new RegistryError("TOOMANYREQUESTS", "too many requests from this client; slow down", {
      headers: { "Retry-After": RATE_LIMIT_RETRY_AFTER_SECONDS },
    });
  }
}

/**
 * The rate-limit key of a client: its address, as Cloudflare saw it; an IPv6 client counts as its whole /64, which
 * one host can rotate through at will (Docker Hub counts the same way).
 */
export function clientKey(request: Request): string {
  const address = request.headers.get("cf-connecting-ip") ?? "unknown";
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.toLowerCase().split("::", 2);
  const front = head === "" ? [] : head.split(":");
  const back = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/** Throws 403 DENIED unless the target's repository may be served: not denied, and allowed when there is a list. */
export function assertRepositoryAllowed(target: Target, config: Config): void {
  if (target.repository === undefined) return;
  if (!isRepositoryAllowed(target.upstream, target.repository, config)) {
    const image = `${target.upstream.hosts[0]}/${target.repository}`;
    throw new RegistryError("DENIED", `the image ${image} is not allowed on this mirror`, { detail: { repository: target.repository, route: target.upstream.name } });
  }
}

/** Whether a normalised repository of an upstream may be served. Deny wins; with an allow list, unlisted is denied. */
export function isRepositoryAllowed(upstream: Upstream, repository: string, config: Config): boolean {
  const { allowed, denied } = config.access;
  if (denied.get(upstream.registry)?.(repository)) return false;
  return allowed === undefined || allowed.get(upstream.registry)?.(repository) === true;
}

/**
 * Compiles globs for one upstream: `*` matches within one name component, `**` across components. A pattern without
 * `/` is normalised like a client's short name (`nginx` and `*` mean `library/…` on Docker Hub). Returns the first
 * malformed pattern instead of a matcher.
 */
export function compileGlobs(patterns: string[], upstream: Upstream): RepositoryMatcher | string {
  const expressions: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim().toLowerCase();
    if (!GLOB.test(pattern)) return raw;
    const name = pattern.includes("/") || pattern.includes("**") ? pattern : normalizeRepository(upstream, pattern);
    expressions.push(
      name
        .split("**")
        .map((part) => part.split("*").map((literal) => literal.replace(/\./g, "\\.")).join("[^/]*"))
        .join(".*"),
    );
  }
  const expression = new RegExp(`^(?:${expressions.join("|") || "(?!)"})$`);
  return (repository) => expression.test(repository);
}
