/**
 * Mirror users (MIRROR_USERS): clients `docker login` to this mirror. Its `/token` checks their credentials, sent as
 * HTTP Basic (GET, token spec: https://distribution.github.io/distribution/spec/auth/token/) or as an OAuth2 password
 * grant (POST, https://distribution.github.io/distribution/spec/auth/oauth/), and issues short-lived signed tokens for
 * the repositories asked for; every registry request must carry one that covers its repository. Nothing here goes
 * upstream: the client's credentials and tokens are for this mirror only.
 */
import type { Credential, MirrorUsers } from "../config/access";
import type { Config } from "../config/config";
import { registryIdentity } from "../config/registries";
import { readSmallForm } from "../core/body";
import { bearerToken, formatChallenge } from "../core/challenge";
import { RegistryError } from "../core/errors";
import { bodyFor } from "../core/http";
import { isolate } from "../core/isolate";
import { tokenRealmFor } from "../routing/route";
import type { RoutedRequest } from "../routing/routed";
import { routeScope, scopesOf } from "../routing/scope";
import { namesRepository, type Target } from "../routing/target";
import { readBasicCredentials, sha256 } from "./basic";
import { assertRepositoryAllowed, isRepositoryAllowed } from "./lists";
import { grantFor, mintMirrorToken, verifyMirrorToken } from "./mirror-token";

/** Long enough for a pull to start every request (a blob streams on after its check), short enough to leak little. */
const TOKEN_TTL_SECONDS = 300;
/** A token covers at most this many repositories; a pull asks for one or two. */
const MAX_GRANTS = 32;
/** SHA-256 of each user's name and password, computed once per parsed configuration. */
const digests = isolate.memory<
  readonly Credential[],
  Promise<{ user: string; name: Uint8Array; password: Uint8Array }[]>
>("mirror user digests", 16);

/** Answers `/token` in mirror users mode: a signed token for a known user, or 401. */
export async function issueMirrorToken(routed: RoutedRequest, mirror: MirrorUsers): Promise<Response> {
  const { request, url, target, config } = routed;
  const login = request.method === "POST" ? await readPasswordGrant(request) : readBasic(request, url);
  const user = login.username === undefined ? undefined : await findUser(mirror.users, login.username, login.password);
  if (user === undefined) {
    const message =
      login.username === undefined ? "this mirror requires docker login" : "incorrect username or password";
    throw new RegistryError("UNAUTHORIZED", message, {
      headers: { "WWW-Authenticate": `Basic realm="${url.origin}/token"` },
    });
  }
  const granted = grantScopes(login.scopes, target, config);
  const now = Math.floor(Date.now() / 1000);
  const token = await mintMirrorToken(mirror.secret, {
    sub: user,
    iat: now,
    exp: now + TOKEN_TTL_SECONDS,
    access: granted.map((g) => g.grant),
  });
  // Both names for the token, as auth.docker.io answers; the OAuth2 form also says which scopes it granted.
  const body = {
    token,
    access_token: token,
    expires_in: TOKEN_TTL_SECONDS,
    issued_at: new Date(now * 1000).toISOString(),
    scope: granted.map((g) => g.scope).join(" "),
  };
  const headers = { "content-type": "application/json", "cache-control": "no-store" };
  return new Response(bodyFor(request.method, JSON.stringify(body)), { headers });
}

/** Throws 401 with a challenge to this mirror's `/token` unless the request carries a valid token for its repository. */
export async function assertMirrorAccess(routed: RoutedRequest): Promise<void> {
  const { request, target, config } = routed;
  const mirror = config.access.mirror;
  if (!mirror) return;
  const bearer = bearerToken(request.headers.get("authorization"));
  if (bearer === undefined) throw challenge(routed, "authentication required: docker login to this mirror first");
  const claims = await verifyMirrorToken(mirror.secret, bearer);
  if (!claims) throw challenge(routed, "the token is invalid or has expired", "invalid_token");
  // A logged-in user asking for a refused image hears why (403), rather than being sent round for a token again.
  assertRepositoryAllowed(target, config);
  if (
    namesRepository(target) &&
    !claims.access.includes(grantFor(registryIdentity(target.upstream), target.repository))
  ) {
    throw challenge(routed, "the token does not cover this repository", "insufficient_scope");
  }
}

/**
 * For `docker search` in mirror users mode: the docker CLI sends the credentials of `docker login <mirror>` as HTTP
 * Basic (the v1 search API has no token flow), so a known user or a valid mirror token is let through; others get 401.
 */
export async function assertMirrorLogin(routed: RoutedRequest): Promise<void> {
  const { request, url, config } = routed;
  const mirror = config.access.mirror;
  if (!mirror) return;
  const bearer = bearerToken(request.headers.get("authorization"));
  if (bearer !== undefined && (await verifyMirrorToken(mirror.secret, bearer))) return;
  const login = readBasic(request, url);
  if (login.username !== undefined && (await findUser(mirror.users, login.username, login.password)) !== undefined)
    return;
  throw new RegistryError("UNAUTHORIZED", "this mirror requires docker login", {
    headers: { "WWW-Authenticate": `Basic realm="${url.origin}"` },
  });
}

/**
 * A 401 whose challenge points at this mirror's `/token` (keeping routing in the realm, as tokenRealmFor does) and
 * names the upstream repository, which `/token` reads on the same route. `error` follows RFC 6750 section 3.1.
 */
function challenge(routed: RoutedRequest, message: string, error?: string): RegistryError {
  const { url, target } = routed;
  const params: Record<string, string> = { realm: tokenRealmFor(url, target), service: url.host };
  if (namesRepository(target)) params.scope = `repository:${target.repository}:pull`;
  if (error !== undefined) params.error = error;
  return new RegistryError("UNAUTHORIZED", message, {
    headers: { "WWW-Authenticate": formatChallenge({ scheme: "bearer", params }) },
  });
}

interface Login {
  username?: string;
  password: string;
  scopes: string[];
}

function readBasic(request: Request, url: URL): Login {
  const scopes = scopesOf(url.searchParams);
  const credentials = readBasicCredentials(request.headers.get("authorization") ?? "");
  return credentials === undefined ? { password: "", scopes } : { ...credentials, scopes };
}

async function readPasswordGrant(request: Request): Promise<Login> {
  const form = await readSmallForm(request);
  if (form.get("grant_type") !== "password") {
    throw new RegistryError("UNSUPPORTED", "this mirror issues tokens for the password grant only", {
      status: 400,
      detail: { error: "unsupported_grant_type" },
    });
  }
  const username = form.get("username");
  return {
    ...(username === null ? {} : { username }),
    password: form.get("password") ?? "",
    scopes: scopesOf(form),
  };
}

/** The configured user these credentials name, compared in constant time over every user so timing tells nothing. */
async function findUser(users: readonly Credential[], username: string, password: string): Promise<string | undefined> {
  let known = digests.get(users);
  if (!known) {
    known = Promise.all(
      users.map(async (u) => ({
        user: u.username,
        name: await sha256(u.username),
        password: await sha256(u.password),
      })),
    );
    digests.set(users, known);
  }
  const [name, secret] = await Promise.all([sha256(username), sha256(password)]);
  let found: string | undefined;
  for (const candidate of await known) {
    const nameMatches = crypto.subtle.timingSafeEqual(name, candidate.name);
    const passwordMatches = crypto.subtle.timingSafeEqual(secret, candidate.password);
    if (nameMatches && passwordMatches) found = candidate.user;
  }
  return found;
}

/**
 * The pull scopes a token may cover: each repository named as a client names it on this route, routed and normalised
 * by the scope rule `/token` uses upstream (routing/scope.ts), and dropped when it is not allowed on this mirror. Other
 * scopes, actions and invalid names are not granted, as a registry's token server does.
 */
function grantScopes(scopes: string[], target: Target, config: Config): { grant: string; scope: string }[] {
  const granted = new Map<string, string>();
  for (const scope of scopes) {
    const named = routeScope(scope, target, config);
    if (named?.type !== "repository" || !named.actions.split(",").some((action) => action === "pull" || action === "*"))
      continue;
    if (!isRepositoryAllowed(named.upstream, named.repository, config) || granted.size >= MAX_GRANTS) continue;
    granted.set(grantFor(registryIdentity(named.upstream), named.repository), `repository:${named.name}:pull`);
  }
  return [...granted].map(([grant, scope]) => ({ grant, scope }));
}
