/**
 * The Worker's configuration: typed bindings, parsed and validated once per isolate.
 * A bad value fails every request with a message naming the variable, rather than silently running a different mirror.
 */
import { configError, type RegistryError, toRegistryError } from "../core/errors";
import { isolate } from "../core/isolate";
import { logEvent } from "../core/log";
import { parseHttpUrl } from "../core/parse";
import { type AccessConfig, parseAccessConfig } from "./access";
import type { Env } from "./env";
import { parseMirrorHost, parseMirrorSubdomains } from "./hosts";
import { parseMirrorUsers } from "./mirror-users";
import { DEFAULT_ROUTE, type Upstream } from "./registries";
import { parseStats, type StatsConfig } from "./stats";
import { parseUpstreams } from "./upstreams";
import { parseFlag, parseMilliseconds, parseSeconds, parseTtl } from "./values";

/** HOME_PAGE, parsed. */
export type HomePage =
  | { mode: "guide" }
  | { mode: "nginx" }
  | { mode: "none" }
  | { mode: "redirect"; location: string };

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
  /** The mirror's own domain (MIRROR_HOST), written by `npm run setup`; undefined on workers.dev. */
  mirrorHost?: string;
  /** Route name -> the host name that serves it alone (MIRROR_SUBDOMAINS); empty on workers.dev. */
  subdomains: ReadonlyMap<string, string>;
  /** CPU a request may spend hashing a fill (CACHE_CPU_BUDGET_MS): beyond it a blob is only length-checked. */
  cacheCpuBudgetMs: number;
  /** The owner's statistics (STATS binding and STATS_TOKEN), when both are there. */
  stats?: StatsConfig;
}

/** A few minutes: a pushed tag shows up soon, and a busy tag costs one upstream HEAD per period per data centre. */
const DEFAULT_TAG_TTL_SECONDS = 300;
/** Cloudflare's free plan: 10 ms of CPU per request, past which the request (and the client's stream) is killed. */
const FREE_PLAN_CPU_MS = 10;
/** Parsed configurations by the bindings object they came from; an isolate sees one, tests a few. */
const parsed = isolate.memory<Env, Config>("config", 16);
/** Bindings that failed to parse, with the error every request then gets (logged once, at the first request). */
const failed = isolate.memory<Env, RegistryError>("config failures", 16);

/**
 * Returns the configuration for these bindings, parsing them on first use in this isolate. A malformed value throws
 * the error naming it, on every call; the first call also logs it, so the owner finds one line in Workers Logs.
 */
export function loadConfig(env: Env): Config {
  const config = parsed.get(env);
  if (config) return config;
  const failure = failed.get(env);
  if (failure) throw failure;
  try {
    const fresh = parseConfig(env);
    parsed.set(env, fresh);
    return fresh;
  } catch (thrown) {
    const error = toRegistryError(thrown);
    failed.set(env, error);
    logEvent("error", "configuration error", { error: error.message });
    throw error;
  }
}

/** The error these bindings failed to parse with, once loadConfig has met it. */
export function configFailure(env: Env): RegistryError | undefined {
  return failed.get(env);
}

/** Parses and validates the bindings; throws a RegistryError that names the variable at fault. */
export function parseConfig(env: Env): Config {
  const upstreams = parseUpstreams(env.UPSTREAMS);
  const upstreamsByHost = new Map<string, Upstream>();
  for (const upstream of upstreams.values()) {
    for (const host of upstream.hosts) upstreamsByHost.set(host.toLowerCase(), upstream);
  }
  const access = parseAccessConfig(env, { upstreams, upstreamsByHost }, parseMirrorUsers(env));
  const mirrorHost = parseMirrorHost(env.MIRROR_HOST);
  const stats = parseStats(env);
  const defaultUpstream = upstreams.get(DEFAULT_ROUTE);
  if (!defaultUpstream) throw new Error(`the ${DEFAULT_ROUTE} route is built in and cannot be removed`);
  return {
    upstreams,
    upstreamsByHost,
    defaultUpstream,
    upstreamTimeoutMs: parseSeconds("UPSTREAM_TIMEOUT_SECONDS", env.UPSTREAM_TIMEOUT_SECONDS, 30) * 1000,
    homePage: parseHomePage(env.HOME_PAGE),
    mirrorLogin: access.mirror !== undefined,
    access,
    tagTtlMs: parseTtl("TAG_TTL_SECONDS", env.TAG_TTL_SECONDS, DEFAULT_TAG_TTL_SECONDS) * 1000,
    cacheEnabled: parseFlag("CACHE", env.CACHE, true, ["on", "off"]),
    ...(env.BLOBS ? { blobs: env.BLOBS } : {}),
    upstreamIdleTimeoutMs:
      parseSeconds("UPSTREAM_IDLE_TIMEOUT_SECONDS", env.UPSTREAM_IDLE_TIMEOUT_SECONDS, 0, { zeroIsOff: true }) * 1000,
    ...(mirrorHost ? { mirrorHost } : {}),
    subdomains: parseMirrorSubdomains(env.MIRROR_SUBDOMAINS, upstreams),
    cacheCpuBudgetMs: parseMilliseconds("CACHE_CPU_BUDGET_MS", env.CACHE_CPU_BUDGET_MS, FREE_PLAN_CPU_MS),
    ...(stats ? { stats } : {}),
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
    throw configError(
      "HOME_PAGE",
      "redirect: needs an https URL without credentials, as in redirect:https://example.com/",
    );
  }
  throw configError("HOME_PAGE", 'must be "guide", "nginx", "none" or "redirect:https://…"');
}
