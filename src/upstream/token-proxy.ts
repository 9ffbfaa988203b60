/**
 * The Worker's `/token` endpoint and the upstream realms behind it. Clients are told (by rewritten challenges) to
 * fetch tokens here; we forward to the route's real realm with scopes renamed to the upstream's repositories.
 * Token auth spec: https://distribution.github.io/distribution/spec/auth/token/ (GET) and .../oauth/ (POST).
 */
import type { Config } from "../config/config";
import type { Upstream } from "../config/registries";
import { parseChallenge } from "../core/challenge";
import { RegistryError, upstreamError } from "../core/errors";
import { bodyFor, copyHeaders } from "../core/http";
import { isolate } from "../core/isolate";
import { parseHttpUrl } from "../core/parse";
import { rewriteScope } from "../routing/reference";
import type { Target } from "../routing/target";
import { fetchUpstream } from "./fetch";

/** Realms learned from upstream challenges, per route, for upstreams whose realm is not configured. */
const learnedRealms = isolate.memory<string, string>("learned realms", 100);
/** A token request body is a short form; anything larger is not one. */
const MAX_FORM_BYTES = 16 * 1024;
/** Request headers a realm may see: the client's own credentials for this upstream are the point of `docker login`. */
const TOKEN_REQUEST_HEADERS = ["authorization", "user-agent", "accept", "content-type"];
/** Response headers passed back from the realm. */
const TOKEN_RESPONSE_HEADERS = ["content-type", "www-authenticate", "retry-after"];

/** Remembers the realm an upstream named in a challenge, so `/token` need not ask for it again. */
export function rememberRealm(upstream: Upstream, realm: string): void {
  // A realm must be an absolute http(s) URL: a relative or garbage one would break every later `/token`.
  if (!upstream.realm && parseHttpUrl(realm)) learnedRealms.set(upstream.name, realm);
}

/**
 * Remembers the realm of an upstream answer's Bearer challenge, if it has one: `/token` then forwards there without
 * asking the upstream first.
 */
export function rememberChallengeRealm(upstream: Upstream, response: Response): void {
  const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
  if (challenge?.scheme === "bearer" && challenge.params.realm) rememberRealm(upstream, challenge.params.realm);
}

/** Answers `/token` (GET, or the OAuth2 POST form) by forwarding to the upstream's realm. */
export async function handleToken(request: Request, target: Target, config: Config): Promise<Response> {
  const realm = new URL(await resolveRealm(target.upstream, config));
  const incoming = new URL(request.url).searchParams;
  for (const [name, value] of incoming) {
    if (name !== "ns") realm.searchParams.append(name, name === "scope" ? rewriteScopes(value, target.upstream) : value);
  }
  const headers = copyHeaders(request.headers, TOKEN_REQUEST_HEADERS);
  const body = request.method === "POST" ? await readForm(request, target.upstream) : undefined;
  if (body !== undefined) headers.set("content-type", "application/x-www-form-urlencoded");
  const method = request.method === "POST" ? "POST" : "GET";
  const response = await fetchUpstream({ method, url: realm.href, headers, ...(body === undefined ? {} : { body }) }, { timeoutMs: config.upstreamTimeoutMs, idleTimeoutMs: config.upstreamIdleTimeoutMs });
  const out = copyHeaders(response.headers, TOKEN_RESPONSE_HEADERS, new Headers({ "cache-control": "no-store" }));
  return new Response(bodyFor(request.method, response.body), { status: response.status, headers: out });
}

/** Scopes may come several to a parameter, space-separated (the OAuth2 form); each is rewritten. */
function rewriteScopes(value: string, upstream: Upstream): string {
  return value.split(" ").map((scope) => rewriteScope(scope, upstream)).join(" ");
}

async function readForm(request: Request, upstream: Upstream): Promise<string> {
  const form = new URLSearchParams(await readSmallBody(request));
  const rewritten = new URLSearchParams();
  for (const [name, value] of form) rewritten.append(name, name === "scope" ? rewriteScopes(value, upstream) : value);
  return rewritten.toString();
}

/** Reads a body of at most MAX_FORM_BYTES, stopping as soon as it is larger: a client's giant POST is never held. */
async function readSmallBody(request: Request): Promise<string> {
  const tooLarge = () => new RegistryError("UNSUPPORTED", "token request body too large", { status: 413 });
  if (Number(request.headers.get("content-length") ?? 0) > MAX_FORM_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_FORM_BYTES) throw tooLarge(); // leaving the loop cancels the body
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.byteLength), 0);
  return new TextDecoder().decode(bytes);
}

/** The upstream's token endpoint: configured, learned earlier, or read from its `/v2/` challenge now. */
async function resolveRealm(upstream: Upstream, config: Config): Promise<string> {
  const known = upstream.realm ?? learnedRealms.get(upstream.name);
  if (known) return known;
  const response = await fetchUpstream(
    { method: "GET", url: `${upstream.registry}/v2/`, headers: new Headers() },
    { timeoutMs: config.upstreamTimeoutMs },
  );
  await response.body?.cancel();
  const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
  const realm = challenge?.scheme === "bearer" ? challenge.params.realm : undefined;
  if (!realm || !parseHttpUrl(realm)) {
    throw upstreamError("UNSUPPORTED", "does not use token authentication", upstream.registry, { status: 404 });
  }
  learnedRealms.set(upstream.name, realm);
  return realm;
}
