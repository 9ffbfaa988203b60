/**
 * How a registry authenticates: learned from a `/v2/` request of our own that may not redirect, so the realm that
 * will receive credentials is the one the registry itself names (distribution's proxy does the same), then pinned.
 * It is learned again when the registry later answers a request with 401 while the pinned scheme is no token realm
 * (at most once a minute): one transient 200 on `/v2/` must not mean "no authentication" for the isolate's life.
 * Token auth spec: https://distribution.github.io/distribution/spec/auth/token/
 */
import type { Config } from "../config/config";
import type { Upstream } from "../config/registries";
import { parseChallenge } from "../core/challenge";
import { upstreamError } from "../core/errors";
import { forget, type ObtainOptions, obtain, type SharedEntry } from "../core/flight";
import { BoundedMap } from "../core/isolate";
import { parseHttpUrl } from "../core/parse";
import { fetchOnce, upstreamRateLimited, upstreamUnavailableForNow } from "./fetch";

/** How a registry wants to be authenticated. */
export type Scheme = { kind: "none" } | { kind: "basic" } | { kind: "bearer"; realm: string; service?: string };

/** A registry's 401 makes the Worker ask its `/v2/` again at most this often. */
const RELEARN_INTERVAL_MS = 60_000;

/** One registry's scheme: pinned once learned, learned again when a 401 contradicts it. */
export class PinnedScheme {
  private readonly entry = new BoundedMap<string, SharedEntry<Scheme>>(1);
  /** The kind last learned, to tell without waiting whether a 401 contradicts it. */
  private learned: Scheme["kind"] | undefined;
  /** When a 401 last made the scheme be learned again (ms since the epoch). */
  private relearnedAt = 0;

  constructor(private readonly upstream: Pick<Upstream, "registry" | "realm">) {}

  /** The pinned scheme, or the one `/v2/` names now; concurrent requests share one ping (`sharing`). */
  async get(config: Config, sharing: (ping: () => Promise<Scheme>) => ObtainOptions<Scheme>): Promise<Scheme> {
    return (
      await obtain(
        this.entry,
        "scheme",
        sharing(() => this.ping(config)),
      )
    ).value;
  }

  /**
   * Forgets the pinned scheme when the registry answered `response` with 401 while no token realm is pinned, so the
   * next request asks `/v2/` again; at most once per RELEARN_INTERVAL_MS. Returns whether it did.
   */
  relearn(response: Response): boolean {
    if (response.status !== 401 || this.learned === undefined || this.learned === "bearer") return false;
    if (Date.now() - this.relearnedAt < RELEARN_INTERVAL_MS || !this.entry.get("scheme")?.settled) return false;
    this.relearnedAt = Date.now();
    this.learned = undefined;
    forget(this.entry, "scheme");
    return true;
  }

  private async ping(config: Config): Promise<Scheme> {
    const scheme = await askScheme(this.upstream, config);
    this.learned = scheme.kind;
    return scheme;
  }
}

/** The scheme the registry's `/v2/` names now; a configured realm wins over the one its challenge names. */
async function askScheme(upstream: Pick<Upstream, "registry" | "realm">, config: Config): Promise<Scheme> {
  const url = `${upstream.registry}/v2/`;
  const ping = await fetchOnce({ method: "GET", url, headers: new Headers() }, config.upstreamTimeoutMs);
  await ping.body?.cancel();
  if (ping.status === 429) throw upstreamRateLimited(ping.headers, upstream.registry);
  if (ping.status === 503) throw upstreamUnavailableForNow("answered /v2/ with 503", url);
  // A registry that answers or redirects its version check (registry.k8s.io) authenticates nobody itself.
  if (ping.status < 400) return { kind: "none" };
  if (ping.status !== 401)
    throw upstreamError("UNAVAILABLE", `answered /v2/ with ${ping.status}`, url, { status: 502 });
  const challenge = parseChallenge(ping.headers.get("www-authenticate") ?? "");
  if (challenge?.scheme === "basic") return { kind: "basic" };
  const realm = upstream.realm ?? challenge?.params.realm;
  if (challenge?.scheme !== "bearer" || realm === undefined || !parseHttpUrl(realm)) {
    throw upstreamError("UNAVAILABLE", "asks for an authentication scheme this mirror does not speak", url, {
      status: 502,
    });
  }
  const service = challenge.params.service;
  return { kind: "bearer", realm, ...(service === undefined ? {} : { service }) };
}
