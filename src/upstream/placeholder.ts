/**
 * The placeholder token: what an anonymous client's `/token` gets when the route's token service refuses for now
 * (429, 503, unreachable) and the route has fallbacks. Without it the client stops at the realm's 429, never asking
 * for the manifest the fallbacks could serve. It is a fixed, public value, signed by nobody and granting nothing: a
 * registry request that carries it is an anonymous one, which the Worker authenticates upstream itself (anonymously,
 * then through the chain, credentials.ts) and which never carries it upstream.
 */
import { bearerToken } from "../core/challenge";
import type { RealmAnswer } from "./realm";

/** Clearly not a token any registry issued; the same for everyone, so it reveals and grants nothing. */
export const PLACEHOLDER_TOKEN = "edgehub-anonymous-placeholder";
/** Short, so a client asks `/token` again soon and gets a real token once the token service answers again. */
const PLACEHOLDER_SECONDS = 60;

/** Whether a request's Authorization is the placeholder: anonymous, whatever its header says. */
export function isPlaceholder(headers: Headers): boolean {
  return bearerToken(headers.get("authorization")) === PLACEHOLDER_TOKEN;
}

/** The `/token` answer carrying the placeholder, under both names clients read (`token`, OAuth2's `access_token`). */
export function placeholderAnswer(): RealmAnswer {
  const body = { token: PLACEHOLDER_TOKEN, access_token: PLACEHOLDER_TOKEN, expires_in: PLACEHOLDER_SECONDS };
  return {
    status: 200,
    headers: new Headers({ "content-type": "application/json" }),
    body: new TextEncoder().encode(JSON.stringify(body)),
  };
}
