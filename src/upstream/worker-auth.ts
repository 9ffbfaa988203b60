/**
 * The Worker's own upstream authentication, for clients that bring no credentials (and for every client in mirror
 * users mode). It learns how the upstream authenticates from its `/v2/` challenge, fetches a token from the realm
 * (HTTP Basic with the route's credentials, or anonymously) for the repository's pull scope, and sends it upstream.
 * Token auth spec: https://distribution.github.io/distribution/spec/auth/token/ (GET form, `expires_in` defaults to 60).
 *
 * Tokens are cached in isolate memory per (registry, scope, credential) until shortly before they expire: a pull costs
 * one token request per repository, not one per blob. Each isolate has its own cache, lost when the isolate goes.
 */
import type { Credential } from "../config/access";
import type { Config } from "../config/config";
import { parseChallenge } from "../core/challenge";
import { upstreamError } from "../core/errors";
import { isolate } from "../core/isolate";
import { logEvent } from "../core/log";
import { fetchUpstream, upstreamRateLimited, type FetchLimits, type UpstreamRequest } from "./fetch";

/** Whom the Worker authenticates to and as. `realm` overrides the challenge's (the route's configured realm). */
export interface WorkerAuth {
  registry: string;
  realm?: string;
  repository?: string;
  credential?: Credential;
}

/** How a registry wants to be authenticated, learned from its `/v2/` challenge. */
type Scheme = { kind: "none" } | { kind: "basic" } | { kind: "bearer"; realm: string; service?: string };

interface CachedToken {
  token: Promise<string>;
  /** Infinity while the token is being fetched, so concurrent requests share that fetch. */
  expiresAt: number;
}

/** Registry origin and configured realm -> scheme. A scheme rarely changes; an isolate asks each registry once. */
const schemes = isolate.memory<string, Scheme>("upstream schemes", 100);
/** Bounded: the oldest token goes when the memory is full. */
const tokens = isolate.memory<string, CachedToken>("upstream tokens", 500);
/** A cached token is dropped this long (at most half its life) before it expires, so none expires in flight. */
const EXPIRY_MARGIN_SECONDS = 30;
/** Fingerprints of credentials, so cache keys hold no password. */
const fingerprints = isolate.memory<Credential, Promise<string>>("credential fingerprints", 100);

/** Sends a registry request authenticated by the Worker; a cached token the upstream refuses is replaced once. */
export async function fetchWithWorkerAuth(
  request: UpstreamRequest,
  auth: WorkerAuth,
  config: Config,
  extraLimits: Omit<FetchLimits, "timeoutMs"> = {},
): Promise<Response> {
  const limits = { timeoutMs: config.upstreamTimeoutMs, ...extraLimits };
  const scheme = await schemeOf(auth, config);
  const headers = new Headers(request.headers);
  if (scheme.kind === "basic" && auth.credential) headers.set("authorization", basic(auth.credential));
  if (scheme.kind !== "bearer") return fetchUpstream({ ...request, headers }, limits);
  const scope = auth.repository === undefined ? undefined : `repository:${auth.repository}:pull`;
  const key = `${auth.registry} ${scope ?? ""} ${auth.credential ? await fingerprint(auth.credential) : "anonymous"}`;
  for (let attempt = 0; ; attempt++) {
    const { token, cached } = tokenFor(key, () => fetchToken(scheme, scope, auth, config));
    headers.set("authorization", `Bearer ${await token}`);
    const response = await fetchUpstream({ ...request, headers }, limits);
    if (response.status !== 401 || !cached || attempt > 0) return response;
    await response.body?.cancel(); // revoked or expired early: forget it and fetch a new one
    tokens.delete(key);
  }
}

/** The cached token for `key`, or a new one from `fetch` (shared by every request that asks before it arrives). */
function tokenFor(key: string, fetch: () => Promise<{ token: string; lifetimeSeconds: number }>): { token: Promise<string>; cached: boolean } {
  const entry = tokens.get(key);
  if (entry && entry.expiresAt > Date.now()) return { token: entry.token, cached: true };
  const created: CachedToken = { expiresAt: Infinity, token: Promise.resolve("") };
  created.token = fetch().then(
    ({ token, lifetimeSeconds }) => {
      created.expiresAt = Date.now() + (lifetimeSeconds - Math.min(EXPIRY_MARGIN_SECONDS, lifetimeSeconds / 2)) * 1000;
      return token;
    },
    (error: unknown) => {
      if (tokens.get(key) === created) tokens.delete(key);
      throw error;
    },
  );
  tokens.delete(key);
  tokens.set(key, created);
  return { token: created.token, cached: false };
}

/** Asks the realm for a pull token, as docker does: GET with service and scope, HTTP Basic when there are credentials. */
async function fetchToken(scheme: Extract<Scheme, { kind: "bearer" }>, scope: string | undefined, auth: WorkerAuth, config: Config) {
  const url = new URL(scheme.realm);
  if (scheme.service !== undefined) url.searchParams.set("service", scheme.service);
  if (scope !== undefined) url.searchParams.set("scope", scope);
  const headers = new Headers({ accept: "application/json" });
  if (auth.credential) headers.set("authorization", basic(auth.credential));
  const response = await fetchUpstream({ method: "GET", url: url.href, headers }, { timeoutMs: config.upstreamTimeoutMs });
  if (response.status === 429) {
    await response.body?.cancel();
    throw upstreamRateLimited(response, url.href);
  }
  const body = response.ok ? await response.json<{ token?: unknown; access_token?: unknown; expires_in?: unknown }>().catch(() => undefined) : undefined;
  if (!response.ok) await response.body?.cancel();
  const token = body?.token ?? body?.access_token;
  if (typeof token !== "string" || token === "") {
    const whose = auth.credential ? "the mirror's credentials for" : "an anonymous token for";
    const error = upstreamError("UNAVAILABLE", `its token service refused ${whose} this repository`, url.href, { status: 502 });
    logEvent("error", "upstream token refused", { upstream: new URL(auth.registry).host, status: response.status, credentials: auth.credential !== undefined });
    throw error;
  }
  const expiresIn = typeof body?.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 60;
  return { token, lifetimeSeconds: expiresIn };
}

/**
 * The registry's scheme, from a `/v2/` request of our own that may not redirect, so the realm that will receive the
 * credentials is the one the configured registry itself names (distribution's proxy does the same). A configured
 * realm wins over it.
 */
async function schemeOf(auth: WorkerAuth, config: Config): Promise<Scheme> {
  const schemeKey = `${auth.registry} ${auth.realm ?? ""}`;
  const known = schemes.get(schemeKey);
  if (known) return known;
  const ping = await fetchUpstream({ method: "GET", url: `${auth.registry}/v2/`, headers: new Headers() }, { timeoutMs: config.upstreamTimeoutMs, maxHops: 0 });
  await ping.body?.cancel();
  if (ping.status === 429) throw upstreamRateLimited(ping, auth.registry);
  let scheme: Scheme;
  if (ping.ok) scheme = { kind: "none" };
  else if (ping.status !== 401) throw upstreamError("UNAVAILABLE", `answered /v2/ with ${ping.status}`, auth.registry, { status: 502 });
  else scheme = schemeFromChallenge(ping.headers.get("www-authenticate"), auth);
  schemes.set(schemeKey, scheme);
  return scheme;
}

function schemeFromChallenge(header: string | null, auth: WorkerAuth): Scheme {
  const challenge = parseChallenge(header ?? "");
  if (challenge?.scheme === "basic") return { kind: "basic" };
  const realm = auth.realm ?? challenge?.params.realm;
  if (challenge?.scheme !== "bearer" || !realm || !/^https?:\/\//.test(realm)) {
    throw upstreamError("UNAVAILABLE", "asks for an authentication scheme this mirror does not speak", auth.registry, { status: 502 });
  }
  const service = challenge.params.service;
  return { kind: "bearer", realm, ...(service === undefined ? {} : { service }) };
}

function basic(credential: Credential): string {
  const bytes = new TextEncoder().encode(`${credential.username}:${credential.password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

function fingerprint(credential: Credential): Promise<string> {
  let print = fingerprints.get(credential);
  if (!print) {
    const bytes = new TextEncoder().encode(`${credential.username}:${credential.password}`);
    print = crypto.subtle.digest("SHA-256", bytes).then((hash) => [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join(""));
    fingerprints.set(credential, print);
  }
  return print;
}
