/**
 * The parameters of a token request (`/token`, GET query or OAuth2 form), each checked by the token spec's grammar
 * before anything goes to a realm; names outside the spec stay here.
 * GET: https://distribution.github.io/distribution/spec/auth/token/  POST: .../auth/oauth/  scope: .../auth/scope/
 */
import { RegistryError } from "../core/errors";
import { scopesOf } from "./scope";

/** What a realm may be asked in a GET token request (`ns` is the mirror's own, and is dropped). */
export const TOKEN_QUERY = ["service", "scope", "account", "client_id", "offline_token"] as const;
/** `resourcetype[(class)]:name:action[,action]` (actions `pull`, `push`, `*`; an empty list is allowed). */
const SCOPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?:[A-Za-z0-9._/:-]{1,255}:[a-z*]*(?:,[a-z*]+)*$/;
/** A service, account or client name: printable, no spaces, bounded. */
const WORD = /^[\x21-\x7e]{1,255}$/;
const MAX_SCOPES = 32;

/** Throws a 400 for the first token parameter outside its grammar; `params` is the query, or the OAuth2 form. */
export function assertTokenParameters(params: URLSearchParams): void {
  const scopes = scopesOf(params);
  if (scopes.length > MAX_SCOPES) throw invalid("scope", `at most ${MAX_SCOPES} scopes`);
  for (const scope of scopes)
    if (!SCOPE.test(scope)) throw invalid("scope", "type:name:actions, as repository:library/alpine:pull");
  for (const name of ["service", "account", "client_id"]) {
    for (const value of params.getAll(name))
      if (!WORD.test(value)) throw invalid(name, "printable characters without spaces, at most 255");
  }
  for (const value of params.getAll("offline_token"))
    if (value !== "true" && value !== "false") throw invalid("offline_token", '"true" or "false"');
}

function invalid(name: string, grammar: string): RegistryError {
  return new RegistryError("UNSUPPORTED", `invalid token request: ${name} must be ${grammar}`, {
    status: 400,
    detail: { error: "invalid_request", parameter: name },
  });
}
