/**
 * Talking to a token realm: every token request goes out and comes back through here, with one deadline for the
 * answer's headers and body and a size cap on the body, so a realm that stalls or never stops sending fails that
 * request, within the upstream timeout, after at most the cap plus one chunk.
 * Token auth spec: https://distribution.github.io/distribution/spec/auth/token/ (GET; `expires_in` defaults to 60).
 */
import type { Credential } from "../config/access";
import { BodyLimitError, readBounded } from "../core/body";
import { upstreamError } from "../core/errors";
import { isRecord, parseJson } from "../core/parse";
import { fetchUpstream, type UpstreamRequest, upstreamRateLimited } from "./fetch";

/** A token answer is a little JSON; a realm that sends more is not answering with a token. */
export const MAX_TOKEN_BYTES = 64 * 1024;

/** A realm's answer, read whole. */
export interface RealmAnswer {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** A token a realm issued, and how long it may be used. */
export interface IssuedToken {
  token: string;
  lifetimeSeconds: number;
}

/** Sends a request to a realm and reads its whole answer within `timeoutMs` (headers and body) and MAX_TOKEN_BYTES. */
export async function askRealm(request: UpstreamRequest, timeoutMs: number): Promise<RealmAnswer> {
  const deadline = Date.now() + timeoutMs;
  const response = await fetchUpstream(request, { timeoutMs });
  try {
    const body = await readBounded(
      response.body,
      { maxBytes: MAX_TOKEN_BYTES, deadline },
      response.headers.get("content-length"),
    );
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (!(error instanceof BodyLimitError))
      throw upstreamError("UNAVAILABLE", "its token service failed mid-answer", request.url, {
        status: 502,
        cause: error,
      });
    const message =
      error.limit === "too large"
        ? `answered with more than ${MAX_TOKEN_BYTES / 1024} KiB`
        : `did not finish its answer within ${timeoutMs / 1000} s`;
    throw upstreamError("UNAVAILABLE", `its token service ${message}`, request.url, {
      status: error.limit === "too large" ? 502 : 504,
    });
  }
}

/** Asks a realm for a token, as docker does: GET with service and scope, HTTP Basic when there are credentials. */
export async function requestToken(
  realm: string,
  params: { service?: string; scope?: string },
  credential: Credential | undefined,
  timeoutMs: number,
): Promise<IssuedToken> {
  const url = new URL(realm);
  if (params.service !== undefined) url.searchParams.set("service", params.service);
  if (params.scope !== undefined) url.searchParams.set("scope", params.scope);
  const headers = new Headers({ accept: "application/json" });
  if (credential) headers.set("authorization", basicAuthorization(credential));
  const answer = await askRealm({ method: "GET", url: url.href, headers }, timeoutMs);
  if (answer.status === 429) throw upstreamRateLimited(answer.headers, url.href);
  const issued = answer.status >= 200 && answer.status < 300 ? parseToken(answer.body) : undefined;
  if (!issued) throw new TokenRefused(url.host, answer.status);
  return issued;
}

/** A realm that answered with no token: the caller says whose token it refused. */
export class TokenRefused extends Error {
  constructor(
    readonly realmHost: string,
    readonly status: number,
  ) {
    super(`token service ${realmHost} answered ${status} without a token`);
    this.name = "TokenRefused";
  }
}

/** The token in a realm's JSON (`token`, or OAuth2's `access_token`); undefined for anything else. */
export function parseToken(body: Uint8Array): IssuedToken | undefined {
  const value = parseJson(body);
  if (!isRecord(value)) return undefined;
  const token = value.token ?? value.access_token;
  if (typeof token !== "string" || token === "") return undefined;
  const expiresIn = typeof value.expires_in === "number" && value.expires_in > 0 ? value.expires_in : 60;
  return { token, lifetimeSeconds: expiresIn };
}

/** HTTP Basic for a credential (UTF-8, RFC 7617). */
export function basicAuthorization(credential: Credential): string {
  const bytes = new TextEncoder().encode(`${credential.username}:${credential.password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}
