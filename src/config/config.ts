/**
 * The Worker's configuration: typed bindings, parsed and validated once per isolate.
 * A bad value fails every request with a message naming the variable, rather than silently running a different mirror.
 */
import { configError } from "../core/errors";
import { isolate } from "../core/isolate";
import { parseHttpUrl } from "../core/parse";
import { parseAccessConfig, type AccessConfig } from "./access";
import type { Env } from "./env";
import { parseMirrorUsers } from "./mirror-users";
import { DEFAULT_ROUTE, type Upstream } from "./registries";
import { parseUpstreams } from "./upstreams";
import { parseFlag, parseMilliseconds, parseSeconds, parseTtl } from "./values";

/** HOME_PAGE, parsed. */
export type HomePage = { mode: "guide" } | { mode: "nginx" } | { mode: "none" } | { mode: "redirect"; location: string };

/** Validated configuration. */
export interface Config {
  upstreams: ReadonlyMap<string, Upstream>;
  /** Registry host name (lower case) -> upstream, for path prefixes and `?ns=`. */
  upstreamsByHost: ReadonlyMap<string, Upstream>;
  defaultUpstream: Upstream;
  upstreamTimeoutMs: number;
  homePage: HomePage;
  /** Clients must log in to this mirror; the guide shows `docker login <host>` and nothing else about it. */
  mirrorLogin: boolean;
  /** Credentials, mirror users, allow and deny lists, blocked clients, rate limiter: access.ts. */
  access: AccessConfig;
  /** How long a tag's last seen digest is trusted without asking the upstream. */
  tagTtlMs: number;
  /** Whether the edge cache serves and stores anything (CACHE). */
  cacheEnabled: boolean;
  /** The R2 bucket behind the edge cache, when bound. */
  blobs?: R2Bucket;
  /** 0 when bodies stream unwatched. */
  upstreamIdleTimeoutMs: number;
  /** The mirror's own domain (MIRROR_HOST, lower case), or undefined on workers.dev. */
  mirrorHost?: string;
  /** CPU a request may spend filling the cache (CACHE_CPU_BUDGET_MS): a costlier fill streams through uncached. */
  cacheCpuBudgetMs: number;
}

/** A few minutes: a pushed tag shows up soon, and a busy tag costs one upstream HEAD per period per data centre. */
const DEFAULT_TAG_TTL_SECONDS = 300;
/** Cloudflare's free plan: 10 ms of CPU per request, past which the request (and the client's stream) is killed. */
const FREE_PLAN_CPU_MS = 10;
/** Parsed configurations by the bindings object they came from; an isolate sees one, tests a few. */
const parsed = isolate.memory<Env, Config>("config", 16);

/** Returns the configuration for these bindings, parsing them on first use in this isolate. */
export function loadConfig(env: Env): Config {
  let config = parsed.get(env);
  if (!config) {
    config = parseConfig(env);
    parsed.set(env, config);
  }
  return config;
}

/** Parses and validates the bindings; throws a RegistryError that names the variable at fault. */
export function parseConfig(env: Env): Config {
  const upstreams = parseUpstreams(env.UPSTREAMS);
  const upstreamsByHost = new Map<string, Upstream>();
  for (const upstream of upstreams.values()) {
    for (const host of upstream.hosts) upstreamsByHost.set(host.toLowerCase(), upstream);
  }
  const access = parseAccessConfig(env, { upstreams, upstreamsByHost }, parseMirrorUsers(env));
  return {
    upstreams,
    upstreamsByHost,
    defaultUpstream: upstreams.get(DEFAULT_ROUTE)!,
    upstreamTimeoutMs: parseSeconds("UPSTREAM_TIMEOUT_SECONDS", env.UPSTREAM_TIMEOUT_SECONDS, 30) * 1000,
    homePage: parseHomePage(env.HOME_PAGE),
    mirrorLogin: access.mirror !== undefined,
    access,
    tagTtlMs: parseTtl("TAG_TTL_SECONDS", env.TAG_TTL_SECONDS, DEFAULT_TAG_TTL_SECONDS) * 1000,
    cacheEnabled: parseFlag("CACHE", env.CACHE, true, ["on", "off"]),
    ...(env.BLOBS ? { blobs: env.BLOBS } : {}),
    upstreamIdleTimeoutMs: parseSeconds("UPSTREAM_IDLE_TIMEOUT_SECONDS", env.UPSTREAM_IDLE_TIMEOUT_SECONDS, 0, { zeroIsOff: true }) * 1000,
    ...parseMirrorHost(env.MIRROR_HOST),
    cacheCpuBudgetMs: parseMilliseconds("CACHE_CPU_BUDGET_MS", env.CACHE_CPU_BUDGET_MS, FREE_PLAN_CPU_MS),
  };
}

function parseHomePage(raw: string | undefined): HomePage {
  const value = (raw ?? "").trim();
  const keyword = value.toLowerCase();
  if (keyword === "" || keyword === "guide") return { mode: "guide" };
  if (keyword === "nginx" || keyword === "none") return { mode: keyword };
  if (keyword.startsWith("redirect:")) {
    const url = parseHttpUrl(value.slice("redirect:".length).trim());
    if (url?.protocol === "https:" && !url.username && !url.password) return { mode: "redirect", location: url.href };
    throw configError("HOME_PAGE", "redirect: needs an https URL without credentials, as in redirect:https://example.com/");
  }
  throw configError("HOME_PAGE", 'must be "guide", "nginx", "none" or "redirect:https://…"');
}

/** A bare host name (no scheme, port or path), as `npm run setup` writes it; empty means workers.dev. */
function parseMirrorHost(raw: string | undefined): { mirrorHost?: string } {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "") return {};
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) {
    throw configError("MIRROR_HOST", "must be a host name such as mirror.example.com, without scheme, port or path");
  }
  return { mirrorHost: value };
}
