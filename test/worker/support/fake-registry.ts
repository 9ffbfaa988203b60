/**
 * The one Docker Hub fake for Worker tests, on top of fakeUpstreams (so any other host is a failed fetch): a token
 * service at auth.docker.io and a registry at registry-1.docker.io that checks tokens as distribution does.
 *
 * A token is an opaque string the fake keeps in `issued`, bound to an identity (the tester's account or anonymous),
 * a service and the repositories (with actions) it was granted for. The registry serves a repository only to a
 * token issued for this service that grants pull on it, and answers anything else with 401 and a Bearer challenge
 * naming the scope it needs. Private repositories (under `private/`, or listed) are granted to the account only.
 * Images are served from `images` (fresh random bytes, since the cache outlives a test); without `images`, every
 * repository exists and each path answers with placeholder text. Switches make the registry fail the ways
 * stale-if-error is about (5xx, 429, unreachable, no answer).
 */
import { callWorker, digestOf, fakeUpstreams, settled } from "./fake-upstream";

export const HUB = "registry-1.docker.io";
export const AUTH = "auth.docker.io";
/** The service the registry names in its challenges, and the only one it accepts tokens for. */
export const SERVICE = "registry.docker.io";
export const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
/** The Docker Hub account the tests configure as DOCKERHUB_USERNAME / DOCKERHUB_TOKEN (or log in with). */
export const ACCOUNT = { username: "hubuser", password: "dckr_pat_SECRET-account-token" };
/** The only credentials the token service takes (HTTP Basic), for the account's tokens. */
export const ACCOUNT_BASIC = `Basic ${btoa(`${ACCOUNT.username}:${ACCOUNT.password}`)}`;
/** Who a token was issued to: the account's user name, or anonymous. */
export type Identity = string;
export const TESTER: Identity = ACCOUNT.username;
export const ANONYMOUS: Identity = "anon";

/** What one token grants. */
export interface Grant {
  identity: Identity;
  service: string;
  /** Repository name to the actions granted on it. */
  access: Map<string, string[]>;
}

/** One pushed image: a manifest naming a config and one layer. */
export interface FakeImage {
  repository: string;
  tag: string;
  manifest: string;
  digest: string;
  layer: Uint8Array;
  layerDigest: string;
}

/** How the registry misbehaves: answer with a status, refuse connections, or never answer. */
export type Failure = number | "unreachable" | "hang";

/** The two ways the cache can be set up, as bindings merged over the test env: R2 unbound, and R2 bound. */
export const STORAGE_MODES = [
  ["the Cache API alone", { BLOBS: undefined }],
  ["the Cache API backed by R2", {}],
] as const;

/** A repository name no other test (or earlier run against the same local cache) has used. */
export function uniqueName(): string {
  return `c${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

let counter = 0;
/** A repository name no earlier test used, so the Worker's token cache (isolate memory) starts empty for it. */
export function freshRepository(namespace = "team"): string {
  counter += 1;
  return `${namespace}/image${counter}`;
}

/** Makes an image with fresh bytes (optionally with a given layer, to share it between repositories). */
export async function makeImage(
  repository: string,
  tag: string,
  layer: Uint8Array = crypto.getRandomValues(new Uint8Array(32 * 1024)),
): Promise<FakeImage> {
  const layerDigest = await digestOf(layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: layerDigest, size: layer.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layer.length }],
    annotations: { nonce: crypto.randomUUID() },
  });
  return { repository, tag, manifest, digest: await digestOf(manifest), layer, layerDigest };
}

/** An image tagged "big" whose manifest names `count` layers the registry does not hold (besides its own config). */
export async function imageNaming(repository: string, count: number): Promise<FakeImage> {
  const base = await makeImage(repository, "big");
  const layers = await Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: await digestOf(`${repository} layer ${i}`),
      size: 1000 + i,
    })),
  );
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: base.layerDigest,
      size: base.layer.length,
    },
    layers,
  });
  return { ...base, manifest, digest: await digestOf(manifest) };
}

/** A login page some registries send anonymous users to (302) instead of a 401. */
export const LOGIN = "login.example.com";

type Hosts = Parameters<typeof fakeUpstreams>[0];

export interface HubOptions {
  /** What the registry holds; without it, every repository exists and answers with placeholder text. */
  images?: FakeImage[];
  /** Repositories granted to the account only, besides those under `private/` (the array may change later). */
  privateRepositories?: string[];
  /** Repositories whose unauthorised requests are sent to a login page (302) instead of a 401. */
  loginRedirects?: string[];
  /** Slows the token service, so requests that need a token at about the same time overlap. */
  tokenDelayMs?: number;
  /** The tokens' expires_in (seconds). */
  ttl?: number;
  /** Answers a registry request itself (before any token check) when it returns a response. */
  registry?: (request: Request, url: URL) => Response | undefined;
  /** Further hosts the test expects, and their handlers. */
  extra?: Hosts;
}

/** The fake started last, for `bearer`. */
let current: ReturnType<typeof fakeHub> | undefined;

/** An Authorization header with a token the running fake issued to `who` for the repository `path` (/v2/…) names. */
export function bearer(who: Identity, path: string): string {
  if (!current) throw new Error("fake registry: no fakeHub is running");
  // As a client spells the name when it asks Docker Hub for a token: official images live under library/.
  const name = repositoryOf(path) ?? "";
  return `Bearer ${current.issue(who, name.includes("/") ? name : `library/${name}`)}`;
}

/** What a client got from the Worker, body read whole. */
export interface Pulled {
  status: number;
  body: Uint8Array;
  text: string;
  cache: string | null;
}

/**
 * One request to the Worker at `https://example.com<path>` as a client holding a token the running fake issued to
 * `who` (none: no Authorization at all), with `vars` merged over the test env; waits for the background work.
 */
export async function requestAs(
  who: Identity | undefined,
  path: string,
  options: { method?: string; vars?: Record<string, unknown> } = {},
): Promise<Pulled> {
  const headers: Record<string, string> = who ? { authorization: bearer(who, path) } : {};
  const response = await callWorker(
    `https://example.com${path}`,
    { method: options.method ?? "GET", headers },
    options.vars,
  );
  const body = new Uint8Array(await response.arrayBuffer());
  await settled();
  return {
    status: response.status,
    body,
    text: new TextDecoder().decode(body),
    cache: response.headers.get("x-cache"),
  };
}

function repositoryOf(path: string): string | undefined {
  return /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(path)?.[1];
}

/** Starts the fake Hub (plus `extra` hosts). */
export function fakeHub(options: HubOptions = {}) {
  const state = {
    images: options.images === undefined ? undefined : [...options.images],
    failure: undefined as Failure | undefined,
  };
  const issued = new Map<string, Grant>();
  const privateRepositories = options.privateRepositories ?? [];
  const isPrivate = (repository: string) =>
    repository.startsWith("private/") || privateRepositories.includes(repository);
  const loginRedirects = options.loginRedirects ?? [];
  /** Issues a token for the scopes ("repository:name:actions") asked for, granting pull on what `identity` may read. */
  const issue = (identity: Identity, scopes: string[], service = SERVICE) => {
    const access = new Map<string, string[]>();
    for (const scope of scopes) {
      const [type, name = "", actions = ""] = scope.split(":");
      if (type !== "repository" || (isPrivate(name) && identity !== TESTER)) continue;
      access.set(
        name,
        actions.split(",").filter((a) => a === "pull"),
      );
    }
    const token = `hubtok-${issued.size + 1}-${identity}`;
    issued.set(token, { identity, service, access });
    return token;
  };
  /** The grant behind a request's Bearer token, if the fake issued it. */
  const grantOf = (request: Request) => {
    const token = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    return token === undefined ? undefined : issued.get(token);
  };
  /** Records a request the fake does not serve (as fakeUpstreams does an unknown host) and fails the fetch. */
  const unexpected = (url: URL, what: string): never => {
    fake.unexpected.push(url.href);
    throw new TypeError(`fake registry: unexpected ${what} ${url.href}`);
  };
  const fake = fakeUpstreams({
    // Like auth.docker.io: the account's own credentials get the account's token, no credentials an anonymous one,
    // any other Authorization is refused; a token is only for this registry's service, and grants each scope asked
    // for that the identity may have.
    [AUTH]: async (request, url) => {
      if (options.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, options.tokenDelayMs));
      if (url.pathname !== "/token") return unexpected(url, "token request");
      if (url.searchParams.get("service") !== SERVICE)
        return Response.json({ details: "unknown service" }, { status: 400 });
      const authorization = request.headers.get("authorization");
      if (authorization !== null && authorization !== ACCOUNT_BASIC)
        return Response.json({ details: "incorrect username or password" }, { status: 401 });
      const identity = authorization === null ? ANONYMOUS : TESTER;
      const token = issue(
        identity,
        url.searchParams.getAll("scope").flatMap((s) => s.split(" ")),
      );
      return Response.json({
        token,
        access_token: token,
        expires_in: options.ttl ?? 300,
        issued_at: new Date().toISOString(),
      });
    },
    [LOGIN]: () =>
      new Response("<!doctype html><title>Sign in</title>", {
        headers: { "content-type": "text/html; charset=utf-8" },
      }),
    [HUB]: async (request, url) => {
      if (state.failure === "unreachable") throw new TypeError("connection refused");
      if (state.failure === "hang") {
        return new Promise<Response>((_resolve, reject) =>
          request.signal.addEventListener("abort", () => reject(new Error("aborted"))),
        );
      }
      if (state.failure !== undefined)
        return new Response("upstream trouble", { status: state.failure, headers: { "retry-after": "30" } });
      const special = options.registry?.(request, url);
      if (special) return special;
      if (url.pathname === "/v2/")
        return new Response("{}", { status: 401, headers: { "www-authenticate": challenge("") } });
      const repository = repositoryOf(url.pathname);
      if (repository === undefined) return unexpected(url, "request");
      const grant = grantOf(request);
      // A private repository is refused to anyone but the account even with a token issued while it was public.
      const readable = !isPrivate(repository) || grant?.identity === TESTER;
      const granted = readable && grant?.service === SERVICE && (grant.access.get(repository) ?? []).includes("pull");
      if (!granted) {
        if (grant?.identity !== TESTER && loginRedirects.includes(repository)) {
          return new Response(null, {
            status: 302,
            headers: { location: `https://${LOGIN}/login?next=${encodeURIComponent(url.pathname)}` },
          });
        }
        return Response.json(
          { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
          { status: 401, headers: { "www-authenticate": challenge(repository) } },
        );
      }
      if (state.images === undefined) {
        return new Response(`content of ${url.pathname}`, {
          headers: {
            "content-type": "text/plain",
            "ratelimit-limit": "100;w=21600",
            "ratelimit-remaining": "99;w=21600",
            "docker-ratelimit-source": "account-uuid-1234",
          },
        });
      }
      const match = /^\/v2\/.+\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
      const body = match ? find(state.images, repository, match[1]!, match[2]!) : undefined;
      if (!body) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 });
      const headers = {
        "content-type": body.type,
        "content-length": String(body.bytes.length),
        "docker-content-digest": body.digest,
      };
      const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.get("range") ?? "");
      if (range && request.method === "GET") {
        const [start, end] = [Number(range[1]), Number(range[2])];
        const part = body.bytes.slice(start, end + 1);
        const partial = {
          ...headers,
          "content-length": String(part.length),
          "content-range": `bytes ${start}-${end}/${body.bytes.length}`,
        };
        return new Response(part, { status: 206, headers: partial });
      }
      return new Response(request.method === "HEAD" ? null : body.bytes, { headers });
    },
    ...options.extra,
  });
  const hub = {
    ...fake,
    state,
    issued,
    /** A token as if `identity` had asked for pull on `repository` (a client's own token; `service`: another registry's). */
    issue: (identity: Identity, repository: string, service = SERVICE) =>
      issue(identity, [`repository:${repository}:pull`], service),
    /** Who the token a request carries was issued to (undefined: no token this fake issued). */
    identityOf: (request: { headers: Headers }) =>
      grantOf(new Request("https://x/", { headers: request.headers }))?.identity,
    /** Token requests made to auth.docker.io. */
    tokenRequests: () => fake.to(AUTH),
    /** Registry requests other than the /v2/ ping. */
    registryRequests: () => fake.to(HUB).filter((r) => r.url.pathname !== "/v2/"),
    /** Every request to the registry (the /v2/ ping too), as "METHOD /path". */
    registryPaths: () => fake.to(HUB).map((r) => `${r.method} ${r.url.pathname}`),
    /** Starts counting: the returned function lists every upstream request (any host) made since, as "METHOD host/path". */
    mark() {
      const from = fake.sent.length;
      return () => fake.sent.slice(from).map((r) => `${r.method} ${r.url.host}${r.url.pathname}`);
    },
    /** Points a tag at another image, as a push would. */
    push(image: FakeImage) {
      state.images = [
        image,
        ...(state.images ?? []).filter((i) => !(i.repository === image.repository && i.tag === image.tag)),
      ];
    },
  };
  current = hub;
  return hub;
}

/** The registry's challenge, naming the scope a request needs, as distribution sends it. */
function challenge(repository: string): string {
  const scope = repository ? `,scope="repository:${repository}:pull"` : "";
  return `Bearer realm="https://${AUTH}/token",service="${SERVICE}"${scope}`;
}

function find(images: FakeImage[], repository: string, kind: string, reference: string) {
  for (const image of images.filter((i) => i.repository === repository)) {
    if (kind === "manifests" && (reference === image.tag || reference === image.digest)) {
      return { bytes: new TextEncoder().encode(image.manifest), type: MANIFEST_TYPE, digest: image.digest };
    }
    if (kind === "blobs" && reference === image.layerDigest)
      return { bytes: image.layer, type: "application/octet-stream", digest: image.layerDigest };
  }
  return undefined;
}
