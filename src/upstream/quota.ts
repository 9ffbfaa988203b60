/**
 * The quota in sight: per route, the last rate-limit values the route's own upstream sent this isolate, and whose
 * quota they count. Docker Hub sends `ratelimit-limit: 100;w=21600` and `ratelimit-remaining: 76;w=21600` on manifest
 * GET and HEAD; other registries may send the IETF draft's `RateLimit` (`limit=100, remaining=76, reset=30`, or the
 * later `"default";r=76;t=30` with `RateLimit-Policy: "default";q=100;w=21600`).
 * An anonymous quota is counted per egress IP, and Cloudflare's egress IP varies between requests: the numbers are
 * one IP's, a sample, not the mirror's. Only the owner's account gives a quota that is the mirror's own.
 * https://docs.docker.com/docker-hub/usage/pulls/, draft-ietf-httpapi-ratelimit-headers.
 */
import { isolate } from "../core/isolate";

/** Whose quota a request counted against: the owner's account, or anonymous (per egress IP). */
export type QuotaOwner = "owner" | "anonymous";

/** The last rate-limit values a route's upstream sent, as the page and its JSON show them. */
export interface RateLimitSeen {
  limit?: number;
  remaining?: number;
  windowSeconds?: number;
  /** When they were seen (ISO 8601). */
  seenAt: string;
  whose: QuotaOwner;
}

/** An IPv4 or IPv6 address, as Docker Hub names the source of an anonymous pull. */
const IP_ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*)$/i;
/** Route name -> what its upstream last said; a few dozen routes at most. */
const seen = isolate.memory<string, RateLimitSeen>("rate limits seen", 100);

/**
 * Remembers the rate-limit values of an upstream answer for `route`, if it carried any, and whose quota they count:
 * `worker` when the Worker chose the credentials (the owner's, or none); else (the client's own token) only what
 * Docker Hub's `docker-ratelimit-source` shows to be anonymous (an IP address, where an account shows its id): a
 * client's account is nobody else's business.
 */
export function noteRateLimit(route: string, headers: Headers, worker: QuotaOwner | undefined): void {
  const values = parseRateLimit(headers);
  const source = headers.get("docker-ratelimit-source")?.trim() ?? "";
  const whose = worker ?? (IP_ADDRESS.test(source) ? "anonymous" : undefined);
  if (values === undefined || whose === undefined) return;
  seen.set(route, { ...values, seenAt: new Date().toISOString(), whose });
}

/** What `route`'s upstream last said about its quota in this isolate, if anything. */
export function rateLimitSeen(route: string): RateLimitSeen | undefined {
  return seen.get(route);
}

type Values = Omit<RateLimitSeen, "seenAt" | "whose">;

/** The limit, remaining count and window an answer states, in any of the forms above; undefined when it states none. */
export function parseRateLimit(headers: Headers): Values | undefined {
  const values: Values = {};
  const limit = parameters(headers.get("ratelimit-limit"));
  const remaining = parameters(headers.get("ratelimit-remaining"));
  const draft = parameters(headers.get("ratelimit"));
  const policy = parameters(headers.get("ratelimit-policy"));
  assign(values, "limit", limit.first ?? draft.limit ?? policy.q ?? policy.first);
  assign(values, "remaining", remaining.first ?? draft.remaining ?? draft.r);
  assign(values, "windowSeconds", limit.w ?? remaining.w ?? policy.w ?? draft.w);
  return Object.keys(values).length === 0 ? undefined : values;
}

function assign(values: Values, field: keyof Values, value: number | undefined): void {
  if (value !== undefined) values[field] = value;
}

/**
 * The numbers in a header value: the leading bare one (`100` of `100;w=21600`) as `first`, and each `name=number`
 * parameter (`w`, `limit`, `remaining`, `r`, `q`) by name, the first of each: one policy is enough here.
 */
function parameters(value: string | null): Record<string, number | undefined> {
  const found: Record<string, number | undefined> = {};
  if (value === null) return found;
  for (const part of value.split(/[;,]/)) {
    const [name, raw] = part.includes("=") ? part.split("=", 2) : [undefined, part];
    const number = /^\s*\d+\s*$/.test(raw ?? "") ? Number(raw) : undefined;
    if (number === undefined) continue;
    const key = name === undefined ? "first" : name.trim().toLowerCase();
    found[key] ??= number;
  }
  return found;
}
