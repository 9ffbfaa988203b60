/**
 * One client per upstream registry, held in isolate memory: how the registry authenticates, the tokens the Worker
 * holds for it, and whose credentials go to which realm. It is the only code that fetches tokens: for the Worker's own
 * requests (anonymous or the owner's), for clients' `/token` requests (relayed), and for redirect targets (anonymous).
 *
 * - The realm is configured, or learned from the registry's own `/v2/` 401 (no redirect followed) and then pinned:
 *   no answer to any other request (a redirect target's, a fallback's, a 403 or 200 with a challenge) changes it.
 * - The owner's credentials go only to a realm on a host listed for the registry (`realmAllowed`, registries.ts).
 * - Tokens are cached per scope and identity (anonymous, or the owner's credentials by fingerprint) until shortly
 *   before they expire; concurrent requests share one fetch, each waiting with its own bound (core/flight.ts obtain).
 * Token auth spec: https://distribution.github.io/distribution/spec/auth/token/
 */
import type { Credential } from "../config/access";
import type { Config } from "../config/config";
import { realmAllowed, registryIdentity, type Upstream } from "../config/registries";
import { parseChallenge } from "../core/challenge";
import { upstreamError } from "../core/errors";
import { forget, type ObtainOptions, obtain, type SharedEntry } from "../core/flight";
import { BoundedMap, isolate } from "../core/isolate";
import { logEvent } from "../core/log";
import { parseHttpUrl } from "../core/parse";
import { type FetchLimits, fetchOnce, fetchUpstream, type UpstreamRequest, upstreamRateLimited } from "./fetch";
import { askRealm, basicAuthorization, type IssuedToken, type RealmAnswer, requestToken, TokenRefused } from "./realm";

/** How a registry wants to be authenticated. */
export type Scheme = { kind: "none" } | { kind: "basic" } | { kind: "bearer"; realm: string; service?: string };

/** Whom the Worker authenticates as: nobody, or the owner (the registry's configured credentials). */
export type Identity = "anonymous" | "owner";

/** What tells clients apart: the registry, and where its tokens may come from. */
type ClientUpstream = Pick<Upstream, "registry" | "realm" | "realmHosts">;

/** Clients by registry, configured realm and realm hosts; a few dozen at most. */
const clients = isolate.memory<string, UpstreamClient>("upstream clients", 100);
/** Fingerprints of credentials, so cache keys hold no password. */
const fingerprints = isolate.memory<Credential, Promise<string>>("credential fingerprints", 100);
/** A cached token is dropped this long (at most half its life) before it expires, so none expires in flight. */
const EXPIRY_MARGIN_SECONDS = 30;

/** The client for an upstream (a fallback mirror is one too: it learns its own realm and gets no credentials). */
export function clientFor(upstream: ClientUpstream): UpstreamClient {
  const key = JSON.stringify([upstream.registry, upstream.realm ?? "", upstream.realmHosts ?? []]);
  let client = clients.get(key);
  if (!client) {
    client = new UpstreamClient(upstream);
    clients.set(key, client);
  }
  return client;
}

/** See the module comment. */
export class UpstreamClient {
  /** The registry's identity (registries.ts), which owner credentials are keyed by. */
  readonly identity: string;
  private readonly scheme = new BoundedMap<string, SharedEntry<Scheme>>(1);
  private readonly tokens = new BoundedMap<string, SharedEntry<IssuedToken>>(500);

  constructor(private readonly upstream: ClientUpstream) {
    this.identity = registryIdentity(upstream);
  }

  /** How the registry authenticates: asked once per isolate at its own `/v2/`, then pinned. */
  async schemeOf(config: Config): Promise<Scheme> {
    const options = this.sharing(
      config,
      () => this.ping(config),
      () => Number.POSITIVE_INFINITY,
    );
    return (await obtain(this.scheme, "scheme", options)).value;
  }

  /** The realm that gets clients' token requests: configured, or the pinned one; 404 when the registry uses none. */
  async realm(config: Config): Promise<string> {
    if (this.upstream.realm !== undefined) return this.upstream.realm;
    const scheme = await this.schemeOf(config);
    if (scheme.kind === "bearer") return scheme.realm;
    throw upstreamError("UNSUPPORTED", "does not use token authentication", this.upstream.registry, { status: 404 });
  }

  /** Sends a registry request the Worker authenticates as `who`; a cached token the upstream refuses is replaced once. */
  async fetchAs(
    request: UpstreamRequest,
    repository: string | undefined,
    who: Identity,
    config: Config,
  ): Promise<Response> {
    const scheme = await this.schemeOf(config);
    const headers = new Headers(request.headers);
    const credential = who === "owner" ? config.access.credentials.get(this.identity) : undefined;
    // HTTP Basic goes to the registry itself (its own origin only: redirects drop it).
    if (scheme.kind === "basic" && credential) headers.set("authorization", basicAuthorization(credential));
    if (scheme.kind !== "bearer") return fetchUpstream({ ...request, headers }, this.limits(config));
    const scope = repository === undefined ? undefined : `repository:${repository}:pull`;
    for (let attempt = 0; ; attempt++) {
      const { token, cached, key } = await this.token(scheme, scope, credential, config);
      headers.set("authorization", `Bearer ${token}`);
      const response = await fetchUpstream({ ...request, headers }, this.limits(config));
      if (response.status !== 401 || !cached || attempt > 0) return response;
      await response.body?.cancel(); // revoked or expired early: forget it and fetch a new one
      forget(this.tokens, key);
    }
  }

  /** Forwards a client's token request to the realm (with whatever credentials the caller left in it). */
  async relay(request: Omit<UpstreamRequest, "url">, query: URLSearchParams, config: Config): Promise<RealmAnswer> {
    const url = new URL(await this.realm(config));
    for (const [name, value] of query) url.searchParams.append(name, value);
    return askRealm({ ...request, url: url.href }, config.upstreamTimeoutMs);
  }

  /** The token for a scope, cached per scope and identity; the owner's credentials only to an allowed realm. */
  private async token(
    scheme: Extract<Scheme, { kind: "bearer" }>,
    scope: string | undefined,
    owner: Credential | undefined,
    config: Config,
  ) {
    let credential = owner;
    if (credential && !realmAllowed(this.upstream, scheme.realm)) {
      logEvent("warn", "owner credentials withheld from a realm not listed for the registry", {
        upstream: this.identity,
        realm: new URL(scheme.realm).host,
      });
      credential = undefined;
    }
    const key = `${scope ?? ""} ${credential ? await fingerprint(credential) : "anonymous"}`;
    const params = {
      ...(scheme.service === undefined ? {} : { service: scheme.service }),
      ...(scope === undefined ? {} : { scope }),
    };
    const fetch = () => this.requestToken(scheme.realm, params, credential, config);
    const { value, cached } = await obtain(this.tokens, key, this.sharing(config, fetch, tokenExpiry));
    return { token: value.token, cached, key };
  }

  private async requestToken(
    realm: string,
    params: { service?: string; scope?: string },
    credential: Credential | undefined,
    config: Config,
  ): Promise<IssuedToken> {
    try {
      return await requestToken(realm, params, credential, config.upstreamTimeoutMs);
    } catch (error) {
      if (!(error instanceof TokenRefused)) throw error;
      const whose = credential ? "the mirror's credentials for" : "an anonymous token for";
      logEvent("error", "upstream token refused", {
        upstream: this.identity,
        status: error.status,
        credentials: credential !== undefined,
      });
      throw upstreamError("UNAVAILABLE", `its token service refused ${whose} this repository`, realm, { status: 502 });
    }
  }

  /** An anonymous token for a redirect target's Bearer challenge: no credentials ever go there. */
  private async redirectToken(header: string, config: Config): Promise<string | undefined> {
    const challenge = parseChallenge(header);
    const realm = challenge?.scheme === "bearer" ? parseHttpUrl(challenge.params.realm) : undefined;
    if (!challenge || !realm) return undefined;
    const { service, scope } = challenge.params;
    const params = { ...(service === undefined ? {} : { service }), ...(scope === undefined ? {} : { scope }) };
    const fetch = () => requestToken(realm.href, params, undefined, config.upstreamTimeoutMs);
    try {
      return (
        await obtain(
          this.tokens,
          `redirect ${realm.href} ${service ?? ""} ${scope ?? ""}`,
          this.sharing(config, fetch, tokenExpiry),
        )
      ).value.token;
    } catch (error) {
      if (error instanceof TokenRefused) return undefined; // the target's refusal stands
      throw error;
    }
  }

  /**
   * The registry's scheme, from a `/v2/` request of our own that may not redirect, so the realm that will receive
   * credentials is the one the registry itself names (distribution's proxy does the same). A configured realm wins.
   */
  private async ping(config: Config): Promise<Scheme> {
    const url = `${this.upstream.registry}/v2/`;
    const ping = await fetchOnce({ method: "GET", url, headers: new Headers() }, config.upstreamTimeoutMs);
    await ping.body?.cancel();
    if (ping.status === 429) throw upstreamRateLimited(ping.headers, this.upstream.registry);
    // A registry that answers or redirects its version check (registry.k8s.io) authenticates nobody itself.
    if (ping.status < 400) return { kind: "none" };
    if (ping.status !== 401)
      throw upstreamError("UNAVAILABLE", `answered /v2/ with ${ping.status}`, url, { status: 502 });
    const challenge = parseChallenge(ping.headers.get("www-authenticate") ?? "");
    if (challenge?.scheme === "basic") return { kind: "basic" };
    const realm = this.upstream.realm ?? challenge?.params.realm;
    if (challenge?.scheme !== "bearer" || realm === undefined || !parseHttpUrl(realm)) {
      throw upstreamError("UNAVAILABLE", "asks for an authentication scheme this mirror does not speak", url, {
        status: 502,
      });
    }
    const service = challenge.params.service;
    return { kind: "bearer", realm, ...(service === undefined ? {} : { service }) };
  }

  /**
   * The limits of every registry request to this registry, the route's own and a fallback's, with the Worker's
   * token or the client's: one deadline for headers, one idle watch for bodies, anonymous tokens for redirect targets.
   */
  limits(config: Config): FetchLimits {
    return {
      timeoutMs: config.upstreamTimeoutMs,
      idleTimeoutMs: config.upstreamIdleTimeoutMs,
      redirectToken: (challenge) => this.redirectToken(challenge, config),
    };
  }

  private sharing<T>(config: Config, fetch: () => Promise<T>, expiresAt: (value: T) => number): ObtainOptions<T> {
    const seconds = config.upstreamTimeoutMs / 1000;
    const timedOut = () =>
      upstreamError("UNAVAILABLE", `no answer within ${seconds} s`, this.upstream.registry, { status: 504 });
    return { waitMs: config.upstreamTimeoutMs, fetch, expiresAt, timedOut };
  }
}

function tokenExpiry(issued: IssuedToken): number {
  return Date.now() + (issued.lifetimeSeconds - Math.min(EXPIRY_MARGIN_SECONDS, issued.lifetimeSeconds / 2)) * 1000;
}

function fingerprint(credential: Credential): Promise<string> {
  let print = fingerprints.get(credential);
  if (!print) {
    const bytes = new TextEncoder().encode(`${credential.username}:${credential.password}`);
    print = crypto.subtle
      .digest("SHA-256", bytes)
      .then((hash) => [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join(""));
    fingerprints.set(credential, print);
  }
  return print;
}
