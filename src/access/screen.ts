/**
 * Who may use the mirror at all, before anything else: blocked User-Agents and the per-client rate limit.
 */
import type { Config } from "../config/config";
import { RegistryError } from "../core/errors";
import { errorMessage, logEvent } from "../core/log";

/** The binding has no window to report; its longest period is 60 s, so a client that waits that long is let in. */
const RATE_LIMIT_RETRY_AFTER_SECONDS = "60";

/** True when the client's User-Agent contains an entry of BLOCKED_USER_AGENTS. */
export function isBlockedAgent(request: Request, config: Config): boolean {
  const agent = (request.headers.get("user-agent") ?? "").toLowerCase();
  return config.access.blockedUserAgents.some((blocked) => agent.includes(blocked));
}

/** Refuses blocked User-Agents (403) and clients over the rate limit (429), before any upstream request. */
export async function screenClient(request: Request, config: Config): Promise<void> {
  const { rateLimiter } = config.access;
  if (isBlockedAgent(request, config)) {
    throw new RegistryError(
      "DENIED",
      "this client is not allowed on this mirror: it is a container registry, not a website",
    );
  }
  if (!rateLimiter) return;
  let allowed = true;
  try {
    allowed = (await rateLimiter.limit({ key: clientKey(request) })).success;
  } catch (error) {
    // A limiter that cannot answer must not take the mirror down with it; the failure is logged.
    logEvent("error", "rate limiter failed", { error: errorMessage(error) });
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
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
