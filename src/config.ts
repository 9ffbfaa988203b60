/**
 * The Worker's configuration: typed bindings, parsed and validated once per isolate.
 * A bad value fails every request with a message naming the variable, rather than silently running a different mirror.
 */
import { parseAccessConfig, parseFlag, type AccessConfig, type AccessEnv } from "./access-config";
import { configError } from "./errors";
import { BUILTIN_UPSTREAMS, DEFAULT_ROUTE, type Upstream } from "./registries";

/** The bindings edgehub reads. Every one is optional; wrangler.toml and README document them. */
export interface Env extends AccessEnv {
  /** JSON object, route name -> {"registry": URL, "realm"?: URL, "index"?: URL, "hosts"?: [names]}, merged over the built-in table. */
  UPSTREAMS?: string;
  /** Seconds to wait for an upstream's response headers before answering 504 (default 30). */
  UPSTREAM_TIMEOUT_SECONDS?: string;
  /** What browsers see at `/` and other non-registry paths: guide (default), nginx, redirect:<https URL>, none. */
  HOME_PAGE?: string;
  /** Seconds a tag's manifest is served from cache before an upstream HEAD revalidates it (default 300; 0 always asks). */
  TAG_TTL_SECONDS?: string;
  /** "on" (default) or "off": off, every request goes to the upstream and nothing is stored. */
  CACHE?: string;
  /** Optional R2 bucket holding blobs and manifests by digest for every data centre, at any size. */
  BLOBS?: R2Bucket;
  /** Seconds an upstream body may send nothing before the client's response is failed (default 0: not watched). */
  UPSTREAM_IDLE_TIMEOUT_SECONDS?: string;
}

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
  /** Credentials, mirror users, allow and deny lists, blocked clients, rate limiter: access-config.ts. */
  access: AccessConfig;
  /** How long a tag's last seen digest is trusted without asking the upstream. */
  tagTtlMs: number;
  /** Whether the edge cache serves and stores anything (CACHE). */
  cacheEnabled: boolean;
  /** The R2 bucket behind the edge cache, when bound. */
  blobs?: R2Bucket;
  /** 0 when bodies stream unwatched. */
  upstreamIdleTimeoutMs: number;
}

/** A few minutes: a pushed tag shows up soon, and a busy tag costs one upstream HEAD per period per data centre. */
const DEFAULT_TAG_TTL_SECONDS = 300;
/** A day: past that, a tag is effectively pinned, which is what digests are for. */
const MAX_TAG_TTL_SECONDS = 86_400;
const ROUTE_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const parsed = new WeakMap<object, Config>();

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
  const upstreams = new Map(BUILTIN_UPSTREAMS.map((u) => [u.name, { ...u, hosts: [...u.hosts] }]));
  for (const [name, override] of Object.entries(parseUpstreamsVariable(env.UPSTREAMS))) {
    upstreams.set(name, mergeUpstream(name, override, upstreams.get(name)));
  }
  const upstreamsByHost = new Map<string, Upstream>();
  for (const upstream of upstreams.values()) {
    for (const host of upstream.hosts) upstreamsByHost.set(host.toLowerCase(), upstream);
  }
  const access = parseAccessConfig(env, { upstreams, upstreamsByHost });
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
  };
}

interface UpstreamOverride {
  registry: string;
  realm?: string;
  index?: string;
  hosts?: string[];
}

function parseUpstreamsVariable(raw: string | undefined): Record<string, UpstreamOverride> {
  if (raw === undefined || raw.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw configError("UPSTREAMS", 'is not valid JSON; expected {"name": {"registry": "https://…"}}');
  }
  if (!isRecord(value)) throw configError("UPSTREAMS", "must be a JSON object of route name -> upstream");
  const result: Record<string, UpstreamOverride> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!ROUTE_NAME.test(name)) throw configError("UPSTREAMS", `route name "${name}" must be a lower-case DNS label`);
    result[name] = parseOverride(name, entry);
  }
  return result;
}

function parseOverride(name: string, entry: unknown): UpstreamOverride {
  if (!isRecord(entry)) throw configError("UPSTREAMS", `"${name}" must be an object with a "registry" URL`);
  const { registry, realm, index, hosts } = entry;
  const override: UpstreamOverride = { registry: parseBaseUrl(name, "registry", registry) };
  if (realm !== undefined) override.realm = parseAbsoluteUrl(name, "realm", realm);
  if (index !== undefined) override.index = parseBaseUrl(name, "index", index);
  if (hosts !== undefined) {
    if (!Array.isArray(hosts) || !hosts.every((h) => typeof h === "string" && h.length > 0 && !h.includes("/"))) {
      throw configError("UPSTREAMS", `"${name}".hosts must be an array of host names`);
    }
    override.hosts = hosts.map((h: string) => h.toLowerCase());
  }
  return override;
}

function mergeUpstream(name: string, override: UpstreamOverride, builtin: Upstream | undefined): Upstream {
  const ownHost = new URL(override.registry).host;
  const hosts = override.hosts ?? builtin?.hosts ?? [ownHost];
  // A registry pointed elsewhere must not keep the built-in realm (its tokens are for the old registry) nor the
  // built-in search index (it would search a registry the route no longer pulls from).
  const merged: Upstream = { ...builtin, name, registry: override.registry, hosts };
  if (override.realm !== undefined) merged.realm = override.realm;
  else delete merged.realm;
  if (override.index !== undefined) merged.index = override.index;
  else delete merged.index;
  return merged;
}

function parseBaseUrl(name: string, field: string, value: unknown): string {
  const url = new URL(parseAbsoluteUrl(name, field, value));
  if (url.pathname !== "/" || url.search || url.hash) {
    throw configError("UPSTREAMS", `"${name}".${field} must be an origin such as https://registry.example.com (the API lives at /v2/)`);
  }
  return url.origin;
}

function parseAbsoluteUrl(name: string, field: string, value: unknown): string {
  const url = typeof value === "string" ? tryParseUrl(value) : undefined;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password) {
    throw configError("UPSTREAMS", `"${name}".${field} must be an http(s) URL without credentials`);
  }
  return url.href;
}

function parseHomePage(raw: string | undefined): HomePage {
  const value = (raw ?? "").trim();
  const keyword = value.toLowerCase();
  if (keyword === "" || keyword === "guide") return { mode: "guide" };
  if (keyword === "nginx" || keyword === "none") return { mode: keyword };
  if (keyword.startsWith("redirect:")) {
    const url = tryParseUrl(value.slice("redirect:".length).trim());
    if (url?.protocol === "https:" && !url.username && !url.password) return { mode: "redirect", location: url.href };
    throw configError("HOME_PAGE", "redirect: needs an https URL without credentials, as in redirect:https://example.com/");
  }
  throw configError("HOME_PAGE", 'must be "guide", "nginx", "none" or "redirect:https://…"');
}

function parseSeconds(variable: string, raw: string | undefined, fallback: number, options: { zeroIsOff?: boolean } = {}): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const seconds = Number(raw);
  if (options.zeroIsOff && seconds === 0) return 0;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw configError(variable, `must be a number of seconds between 0 and 600${options.zeroIsOff ? " (0 turns it off)" : ""}`);
  }
  return seconds;
}

function parseTtl(variable: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_TAG_TTL_SECONDS) {
    throw configError(variable, `must be a number of seconds from 0 (always revalidate) to ${MAX_TAG_TTL_SECONDS}`);
  }
  return seconds;
}

function tryParseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
