/**
 * A Docker Hub that checks tokens, for the tests of the Worker's own authentication: auth.docker.io issues tokens
 * (HTTP Basic for the account, anonymous otherwise; `private/*` only for the account), and the registry serves a
 * repository only with a token that covers it, answering 401 with a scoped challenge otherwise.
 */
import { fakeUpstreams, HUB_CHALLENGE } from "./fake-upstream";

export const HUB = "registry-1.docker.io";
export const AUTH = "auth.docker.io";
/** The Docker Hub account the tests configure as DOCKERHUB_USERNAME / DOCKERHUB_TOKEN. */
export const ACCOUNT = { username: "hubuser", password: "dckr_pat_SECRET-account-token" };

interface Issued {
  repositories: string[];
  user?: string;
}

/** Starts the fake Hub (plus `extra` hosts); `ttl` is the tokens' expires_in. */
export function fakeHub(options: { ttl?: number; extra?: Parameters<typeof fakeUpstreams>[0]; registry?: (request: Request, url: URL) => Response | undefined } = {}) {
  const issued = new Map<string, Issued>();
  const fake = fakeUpstreams({
    [AUTH]: (request, url) => {
      const basic = request.headers.get("authorization");
      const expected = `Basic ${btoa(`${ACCOUNT.username}:${ACCOUNT.password}`)}`;
      if (basic !== null && basic !== expected) return Response.json({ details: "incorrect username or password" }, { status: 401 });
      const user = basic === null ? undefined : ACCOUNT.username;
      const repositories = url.searchParams.getAll("scope").flatMap((scope) => {
        const name = scope.split(":")[1] ?? "";
        return name.startsWith("private/") && user === undefined ? [] : [name];
      });
      const token = `hubtok-${issued.size + 1}-${user ?? "anon"}`;
      issued.set(token, { repositories, ...(user === undefined ? {} : { user }) });
      return Response.json({ token, access_token: token, expires_in: options.ttl ?? 300, issued_at: new Date().toISOString() });
    },
    [HUB]: (request, url) => {
      const special = options.registry?.(request, url);
      if (special) return special;
      if (url.pathname === "/v2/") return new Response("{}", { status: 401, headers: { "www-authenticate": HUB_CHALLENGE } });
      const repository = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(url.pathname)?.[1] ?? "";
      const token = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
      if (token === undefined || !issued.get(token)?.repositories.includes(repository)) {
        const challenge = `${HUB_CHALLENGE},scope="repository:${repository}:pull"`;
        return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }, { status: 401, headers: { "www-authenticate": challenge } });
      }
      return new Response(`content of ${url.pathname}`, {
        headers: { "content-type": "text/plain", "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "99;w=21600", "docker-ratelimit-source": "account-uuid-1234" },
      });
    },
    ...options.extra,
  });
  return {
    ...fake,
    issued,
    /** Token requests made to auth.docker.io. */
    tokenRequests: () => fake.to(AUTH),
    /** Registry requests other than the /v2/ ping. */
    registryRequests: () => fake.to(HUB).filter((r) => r.url.pathname !== "/v2/"),
  };
}

let counter = 0;
/** A repository name no earlier test used, so the Worker's token cache (isolate memory) starts empty for it. */
export function freshRepository(namespace = "team"): string {
  counter += 1;
  return `${namespace}/image${counter}`;
}
