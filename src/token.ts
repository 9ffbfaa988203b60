/**
 * The Worker's `/token` endpoint and the upstream realms behind it. Clients are told (by rewritten challenges) to
 * fetch tokens here; we forward to the route's real realm with scopes renamed to the upstream's repositories.
 * Token auth spec: https://distribution.github.io/distribution/spec/auth/token/ (GET) and .../oauth/ (POST).
 */
import { parseChallenge } from "./challenge";
import type { Config } from "./config";
import { RegistryError } from "./errors";
import { rewriteScope } from "./reference";
import type { Upstream } from "./registries";
import type { Target } from "./route";
import { fetchUpstream } from "./upstream";

/** Realms learned from upstream challenges, per route, for upstreams whose realm is not configured. */
const learnedRealms = new Map<string, string>();
/** A token request body is a short form; anything larger is not one. */
const MAX_FORM_BYTES = 16 * 1024;
/** Request headers a realm may see: the client's own credentials for this upstream are the point of `docker login`. */
const TOKEN_REQUEST_HEADERS = ["authorization", "user-agent", "accept", "content-type"];
/** Response headers passed back from the realm. */
const TOKEN_RESPONSE_HEADERS = ["content-type", "www-authenticate", "retry-after"];

/** Remembers the realm an upstream named in a challenge, so `/token` need not ask for it again. */
export function rememberRealm(upstream: Upstream, realm: string): void {
  if (!upstream.realm && isHttpUrl(realm)) learnedRealms.set(upstream.name, realm);
}

/** A realm must be an absolute http(s) URL: a relative or garbage one would break every later `/token`. */
function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Answers `/token` (GET, or the OAuth2 POST form) by forwarding to the upstream's realm. */
export async function handleToken(request: Request, target: Target, config: Config): Promise<Response> {
  const realm = new URL(await resolveRealm(target.upstream, config));
  const incoming = new URL(request.url).searchParams;
  for (const [name, value] of incoming) {
    if (name !== "ns") realm.searchParams.append(name, name === "scope" ? rewriteScopes(value, target.upstream) : value);
  }
  const headers = new Headers();
  for (const name of TOKEN_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const body = request.method === "POST" ? await readForm(request, target.upstream) : undefined;
  if (body !== undefined) headers.set("content-type", "application/x-www-form-urlencoded");
  const method = request.method === "POST" ? "POST" : "GET";
  const response = await fetchUpstream({ method, url: realm.href, headers, ...(body === undefined ? {} : { body }) }, { timeoutMs: config.upstreamTimeoutMs, idleTimeoutMs: config.upstreamIdleTimeoutMs });
  const out = new Headers({ "cache-control": "no-store" });
  for (const name of TOKEN_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return new Response(request.method === "HEAD" ? null : response.body, { status: response.status, headers: out });
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
  if (!realm || !isHttpUrl(realm)) {
    throw new RegistryError("UNSUPPORTED", `upstream ${upstream.hosts[0]} does not use token authentication`, { status: 404 });
  }
  learnedRealms.set(upstream.name, realm);
  return realm;
}
