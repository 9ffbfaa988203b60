/**
 * The access settings: upstream credentials and fallback mirrors, mirror users, repository allow and deny lists,
 * blocked User-Agents and the rate limiter. Parsed with the rest of the configuration, once per isolate. Each is off
 * while its variable is unset or empty; a malformed value fails every request, so a typo never opens the mirror.
 * Messages name the variable and the fix, never a value: most of these are secrets.
 */
import { configError } from "../core/errors";
import { isRecord, parseHttpUrl, parseJson } from "../core/parse";
import type { Env } from "./env";
import { compileGlobs, type RepositoryMatcher } from "./globs";
import { DOCKER_HUB_IDENTITY, registryIdentity, type Upstream } from "./registries";
import { isSet, parseFlag } from "./values";

/** A username and password (or access token). */
export interface Credential {
  username: string;
  password: string;
}

/** Mirror users mode: clients log in to the mirror, which signs its own tokens. */
export interface MirrorUsers {
  users: readonly Credential[];
  secret: string;
}

/**
 * Validated access settings. Credentials and fallbacks are keyed by registry identity (registries.ts), lists by
 * registry origin, so every route to one registry shares them and a route pointed elsewhere takes none along.
 */
export interface AccessConfig {
  /** Registry identity -> the owner's credentials the Worker authenticates to that registry with. */
  credentials: ReadonlyMap<string, Credential>;
  /** Registry identity -> origin of a registry to try once when the upstream answers 429. */
  fallbacks: ReadonlyMap<string, string>;
  mirror?: MirrorUsers;
  /** Registry origin -> allowed repositories; undefined when there is no allow list (a missing origin: none allowed). */
  allowed?: ReadonlyMap<string, RepositoryMatcher>;
  denied: ReadonlyMap<string, RepositoryMatcher>;
  /** Lower-case User-Agent substrings. */
  blockedUserAgents: readonly string[];
  rateLimiter?: RateLimit;
}

/** The routes, as upstreams.ts has parsed them. */
export interface Routes {
  upstreams: ReadonlyMap<string, Upstream>;
  upstreamsByHost: ReadonlyMap<string, Upstream>;
}

/**
 * Parses and cross-checks the access variables, given the mirror users (mirror-users.ts) they are checked against;
 * throws a configuration error naming the variable at fault.
 */
export function parseAccessConfig(env: Env, routes: Routes, mirror: MirrorUsers | undefined): AccessConfig {
  const allowed = isSet(env.ALLOWED_REPOSITORIES)
    ? parseLists("ALLOWED_REPOSITORIES", env.ALLOWED_REPOSITORIES, routes)
    : undefined;
  const config: AccessConfig = {
    credentials: parseCredentials(env, routes),
    fallbacks: parseFallbacks(env.UPSTREAM_FALLBACKS, routes),
    denied: isSet(env.DENIED_REPOSITORIES)
      ? parseLists("DENIED_REPOSITORIES", env.DENIED_REPOSITORIES, routes)
      : new Map(),
    blockedUserAgents: parseUserAgents(env.BLOCKED_USER_AGENTS),
  };
  if (mirror) config.mirror = mirror;
  if (allowed) config.allowed = allowed;
  if (env.RATE_LIMITER !== undefined) {
    if (typeof env.RATE_LIMITER?.limit !== "function") {
      throw configError(
        "RATE_LIMITER",
        "is bound but is not a Rate Limiting binding: declare it under [[ratelimits]] in wrangler.toml",
      );
    }
    config.rateLimiter = env.RATE_LIMITER;
  }
  assertCredentialsGuarded(config, parseFlag("SHARE_UPSTREAM_CREDENTIALS", env.SHARE_UPSTREAM_CREDENTIALS), routes);
  return config;
}

/**
 * Upstream credentials read whatever their account can, private repositories included. Anonymous clients get them
 * only behind mirror users or a route's allow list, or when the owner says the token reads public images only.
 */
function assertCredentialsGuarded(config: AccessConfig, shared: boolean, routes: Routes): void {
  if (config.mirror || shared) return;
  for (const identity of config.credentials.keys()) {
    const unguarded = [...routes.upstreams.values()].find(
      (u) => registryIdentity(u) === identity && !config.allowed?.has(u.registry),
    );
    if (!unguarded) continue; // every route to that registry has an allow list, or none serves it
    const route = unguarded.name;
    const variable = identity === DOCKER_HUB_IDENTITY ? "DOCKERHUB_TOKEN" : "UPSTREAM_CREDENTIALS";
    throw configError(
      variable,
      `would let anyone who finds this mirror pull whatever that account can read on route ${route}, private repositories included: ` +
        `set MIRROR_USERS, or an ALLOWED_REPOSITORIES entry for ${route}, or SHARE_UPSTREAM_CREDENTIALS=true if the token reads public repositories only`,
    );
  }
}

function parseCredentials(env: Env, routes: Routes): Map<string, Credential> {
  const credentials = new Map<string, Credential>();
  for (const [key, value] of Object.entries(
    parseObject("UPSTREAM_CREDENTIALS", env.UPSTREAM_CREDENTIALS, '{"ghcr": {"username": "…", "password": "…"}}'),
  )) {
    const identity = registryIdentity(resolveRoute("UPSTREAM_CREDENTIALS", key, routes));
    if (credentials.has(identity))
      throw configError("UPSTREAM_CREDENTIALS", `"${key}" names a registry listed under another key`);
    const { username, password } = isRecord(value) ? value : {};
    if (typeof username !== "string" || username === "" || typeof password !== "string" || password === "") {
      throw configError(
        "UPSTREAM_CREDENTIALS",
        `"${key}" must be an object with a non-empty "username" and "password"`,
      );
    }
    credentials.set(identity, { username, password });
  }
  const hubUser = env.DOCKERHUB_USERNAME?.trim() ?? "";
  const hubToken = env.DOCKERHUB_TOKEN?.trim() ?? "";
  if ((hubUser === "") !== (hubToken === "")) {
    throw configError(
      hubUser === "" ? "DOCKERHUB_USERNAME" : "DOCKERHUB_TOKEN",
      "is missing: set DOCKERHUB_USERNAME and DOCKERHUB_TOKEN together",
    );
  }
  if (hubUser !== "") {
    // Docker Hub's own account, for Docker Hub only: a `docker` route pointed elsewhere by UPSTREAMS never sees it.
    if (credentials.has(DOCKER_HUB_IDENTITY))
      throw configError("UPSTREAM_CREDENTIALS", "has a Docker Hub entry and DOCKERHUB_TOKEN is set too: keep one");
    credentials.set(DOCKER_HUB_IDENTITY, { username: hubUser, password: hubToken });
  }
  return credentials;
}

function parseFallbacks(raw: string | undefined, routes: Routes): Map<string, string> {
  const fallbacks = new Map<string, string>();
  for (const [key, value] of Object.entries(
    parseObject("UPSTREAM_FALLBACKS", raw, '{"docker": "https://mirror.gcr.io"}'),
  )) {
    const upstream = resolveRoute("UPSTREAM_FALLBACKS", key, routes);
    const origin = parseOrigin(value);
    if (!origin)
      throw configError("UPSTREAM_FALLBACKS", `"${key}" must be a registry origin such as https://mirror.gcr.io`);
    if (origin === upstream.registry)
      throw configError("UPSTREAM_FALLBACKS", `"${key}" names the route's own registry`);
    fallbacks.set(registryIdentity(upstream), origin);
  }
  return fallbacks;
}

/** ALLOWED_REPOSITORIES / DENIED_REPOSITORIES: route (or registry host) -> globs, compiled per registry origin. */
function parseLists(variable: string, raw: string, routes: Routes): Map<string, RepositoryMatcher> {
  const lists = new Map<string, RepositoryMatcher>();
  for (const [key, value] of Object.entries(parseObject(variable, raw, '{"docker": ["library/*", "bitnami/*"]}'))) {
    const upstream = resolveRoute(variable, key, routes);
    if (!Array.isArray(value) || !value.every((glob) => typeof glob === "string"))
      throw configError(variable, `"${key}" must be an array of globs`);
    const matcher = compileGlobs(value as string[], upstream);
    if (typeof matcher === "string")
      throw configError(
        variable,
        `"${key}": "${matcher}" is not a repository glob (lower-case name components, * within one, ** across)`,
      );
    if (lists.has(upstream.registry)) throw configError(variable, `"${key}" names a registry listed under another key`);
    lists.set(upstream.registry, matcher);
  }
  return lists;
}

function parseUserAgents(raw: string | undefined): string[] {
  const entries = (raw ?? "")
    .split(/[,\n]/)
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  if (entries.some((entry) => /["[\]{}]/.test(entry)))
    throw configError("BLOCKED_USER_AGENTS", "must be a comma-separated list such as bot, crawler, spider (not JSON)");
  return entries;
}

/** A route named by its route name (`docker`) or one of its registry hosts (`docker.io`), case-insensitively. */
function resolveRoute(variable: string, key: string, routes: Routes): Upstream {
  const name = key.toLowerCase();
  const upstream = routes.upstreams.get(name) ?? routes.upstreamsByHost.get(name);
  if (!upstream)
    throw configError(variable, `names no route: "${key}" (routes: ${[...routes.upstreams.keys()].join(", ")})`);
  return upstream;
}

function parseObject(variable: string, raw: string | undefined, example: string): Record<string, unknown> {
  if (!isSet(raw)) return {};
  const value = parseJson(raw);
  if (value === undefined) {
    throw configError(variable, `is not valid JSON; expected ${example}`);
  }
  if (!isRecord(value)) throw configError(variable, `must be a JSON object such as ${example}`);
  return value;
}

/** An http(s) origin with nothing after it, or undefined. */
function parseOrigin(value: unknown): string | undefined {
  const url = parseHttpUrl(value);
  const bare = url && !url.username && !url.password && url.pathname === "/" && !url.search && !url.hash;
  return bare ? url.origin : undefined;
}
