/**
 * Every outbound request, in two layers: `fetchUpstream` follows redirects (by hand, so credentials never cross
 * origins: S3 and CDN blob URLs are presigned and reject an Authorization header, and another origin must never see
 * the client's token), and `fetchOnce` makes each hop within the limits (a deadline on the headers, the idle watch on
 * the body). Whose credentials go with a request is decided before, in credentials.ts and registry-client.ts.
 */
import { type RegistryError, upstreamError } from "../core/errors";
import { watchIdle } from "./idle";

/** An outbound request. `headers` are already reduced to what the upstream may see. */
export interface UpstreamRequest {
  method: string;
  url: string;
  headers: Headers;
  body?: string;
}

/** Limits for one logical upstream fetch. */
export interface FetchLimits {
  /** How long to wait for response headers from each hop. */
  timeoutMs: number;
  /** Redirect hops (and token fetches for redirect targets) allowed; each is a subrequest, of which a request gets 50. */
  maxHops?: number;
  /** How long the body may go without a byte while the client waits for one; 0 or absent streams without a watch. */
  idleTimeoutMs?: number;
  /**
   * An anonymous token for a redirect target's Bearer challenge (the registry's client, registry-client.ts); without it, a
   * redirect target's 401 is an upstream failure.
   */
  redirectToken?: (challenge: string) => Promise<string | undefined>;
}

const DEFAULT_MAX_HOPS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** What a blob store answers a HEAD on a URL presigned for GET. */
const HEAD_REFUSALS = new Set([400, 403, 405]);
/** Headers that carry credentials and must be dropped when a redirect leaves the origin they were meant for. */
const CREDENTIAL_HEADERS = ["authorization", "cookie"];
/** Statuses whose responses cannot carry a body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Fetches `request`, following redirects itself. Authorization and Cookie are dropped as soon as a hop changes origin.
 * A redirect target that answers 401 with a Bearer challenge (registry.k8s.io -> Artifact Registry) gets an
 * anonymous token from `limits.redirectToken`, once. A HEAD refused by a redirect target is asked again as GET, so the answer may
 * carry a body the caller must cancel.
 */
export async function fetchUpstream(request: UpstreamRequest, limits: FetchLimits): Promise<Response> {
  const origin = new URL(request.url).origin;
  let current = { ...request, headers: new Headers(request.headers) };
  let triedTokenFor: string | undefined;
  for (let hop = 0; ; hop++) {
    const response = await fetchOnce(current, limits.timeoutMs);
    const left = hop < (limits.maxHops ?? DEFAULT_MAX_HOPS);
    const location = response.headers.get("location");
    if (REDIRECT_STATUSES.has(response.status) && location !== null) {
      await discard(response);
      if (!left) throw upstreamUnavailable(502, "too many redirects", current.url);
      current = redirectTarget(current, response.status, location);
      continue;
    }
    const target = new URL(current.url).origin;
    if (current.method === "HEAD" && target !== origin && HEAD_REFUSALS.has(response.status) && left) {
      // Presigned S3/R2 URLs are signed for GET and refuse HEAD: ask with GET and let the caller drop the body.
      await discard(response);
      current = { ...current, method: "GET" };
      continue;
    }
    const challenge = response.headers.get("www-authenticate");
    if (
      response.status === 401 &&
      target !== origin &&
      triedTokenFor !== target &&
      left &&
      challenge &&
      limits.redirectToken
    ) {
      const token = await limits.redirectToken(challenge);
      if (token) {
        await discard(response);
        triedTokenFor = target;
        current.headers.set("authorization", `Bearer ${token}`);
        continue;
      }
    }
    if (response.status === 401 && target !== origin) {
      // The client's credentials are never sent there, so relaying its challenge would only teach the client another
      // origin's realm: the redirect target's refusal is an upstream failure.
      await discard(response);
      throw upstreamUnavailable(502, "a redirect target refused the request (401)", current.url);
    }
    // A HEAD's body (from a GET asked in its place) is cancelled by the caller: nothing to watch.
    return request.method === "HEAD" ? response : watchBody(response, current.url, limits.idleTimeoutMs);
  }
}

/**
 * The response with its body watched for stalls (see watchIdle), or as it is when there is nothing to watch. A body
 * of known length keeps it: through a FixedLengthStream the client still gets Content-Length, and a body that ends
 * early aborts the connection instead of ending a chunked response cleanly (which would hide the truncation).
 */
function watchBody(response: Response, url: string, idleTimeoutMs = 0): Response {
  if (!idleTimeoutMs || response.body === null || NULL_BODY_STATUSES.has(response.status)) return response;
  const stalled = () => upstreamUnavailable(504, `no body bytes for ${idleTimeoutMs / 1000} s`, url);
  let body = watchIdle(response.body, idleTimeoutMs, stalled);
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  // The runtime decodes a compressed body, so its declared length describes other bytes.
  if (Number.isSafeInteger(length) && length >= 0 && !response.headers.has("content-encoding")) {
    const fixed = new FixedLengthStream(length);
    body.pipeTo(fixed.writable).catch(() => undefined); // an error aborts the readable side, as it should
    body = fixed.readable;
  }
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** The next hop of a redirect: URL resolved against the current one, credentials dropped across origins. */
function redirectTarget(current: UpstreamRequest, status: number, location: string): UpstreamRequest {
  let next: URL;
  try {
    next = new URL(location, current.url);
  } catch {
    throw upstreamUnavailable(502, "upstream sent an invalid redirect", current.url);
  }
  if (next.protocol !== "https:" && next.protocol !== "http:")
    throw upstreamUnavailable(502, "upstream redirected to a non-HTTP URL", current.url);
  const crossOrigin = next.origin !== new URL(current.url).origin;
  const headers = new Headers(current.headers);
  if (crossOrigin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  const method = status === 303 && current.method !== "HEAD" ? "GET" : current.method;
  const body = method === current.method ? current.body : undefined;
  // A body sent upstream is a client's token form (username and password): it never follows a redirect elsewhere.
  if (crossOrigin && body !== undefined)
    throw upstreamUnavailable(502, "redirected a request with a body to another origin", current.url);
  return { method, url: next.href, headers, ...(body === undefined ? {} : { body }) };
}

/**
 * One hop, no redirect followed, with a deadline on the response headers; the body streams on without one. Only a
 * registry's own `/v2/` ping calls it directly, so a redirect there is seen, not followed.
 */
export async function fetchOnce(request: UpstreamRequest, timeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      redirect: "manual",
      signal: controller.signal,
    });
  } catch (error) {
    const failure = controller.signal.aborted
      ? upstreamUnavailable(504, `no answer within ${timeoutMs / 1000} s`, request.url, error)
      : upstreamUnavailable(502, "could not reach the upstream", request.url, error);
    unreachable.add(failure);
    throw failure;
  } finally {
    clearTimeout(timer);
  }
}

/** Errors of hops that got no answer at all (fetchOnce), as opposed to answers refused or malformed. */
const unreachable = new WeakSet<object>();

/** Whether an error means an upstream could not be reached, or gave no answer in time (as opposed to a bad answer). */
export function isUnreachable(error: unknown): boolean {
  return typeof error === "object" && error !== null && unreachable.has(error);
}

/** Errors of answers that said "not now" where no answer is passed on (a 503 to the Worker's own `/v2/` check). */
const unavailableForNow = new WeakSet<object>();

/** A 503 the Worker cannot pass on as it came: a 502 to the client, but, like no answer, worth asking the chain. */
export function upstreamUnavailableForNow(message: string, url: string): RegistryError {
  const failure = upstreamUnavailable(502, message, url);
  unavailableForNow.add(failure);
  return failure;
}

/** Whether an error means the upstream could not be reached, gave no answer in time, or said "not now" (503). */
export function isUnavailableForNow(error: unknown): boolean {
  return isUnreachable(error) || (typeof error === "object" && error !== null && unavailableForNow.has(error));
}

function upstreamUnavailable(status: number, message: string, url: string, cause?: unknown): RegistryError {
  return upstreamError("UNAVAILABLE", message, url, { status, cause });
}

/** Releases a response body we will not read, so the connection can be reused. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel();
}

/**
 * What an upstream 429 becomes for the client, whichever upstream sent it (registry, realm, search index): the one
 * translation. TOOMANYREQUESTS with the upstream's Retry-After (60 s when it sent none that parses) and its
 * rate-limit headers, so the client waits instead of hammering; `message` says who is rate-limiting.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes, RFC 9110 section 10.2.3.
 */
export function upstreamRateLimited(
  sent: Headers,
  url: string,
  message = "rate-limiting this mirror; retry later",
): RegistryError {
  const retry = sent.get("retry-after")?.trim() ?? "";
  const retryAfter = /^\d+$/.test(retry) || (/[a-z]/i.test(retry) && !Number.isNaN(Date.parse(retry))) ? retry : "60";
  const headers: Record<string, string> = { "Retry-After": retryAfter };
  for (const name of ["ratelimit-limit", "ratelimit-remaining"]) {
    const value = sent.get(name);
    if (value !== null) headers[name] = value;
  }
  return upstreamError("TOOMANYREQUESTS", message, url, { headers });
}
