/**
 * Every variable, secret and binding edgehub reads, described once. docs/configuration.md's variable table is
 * generated from this table (`npm run docs:vars`), and so is wrangler.toml's [vars] block with its comments;
 * scripts/check.mjs takes the secrets' names and stand-in values from it, and the Env type its names.
 * test/scripts/variables.test.ts fails when a generated document is out of step. Descriptions are Markdown: one
 * paragraph each.
 */

/** How a value reaches the Worker: a plain variable ([vars]), a secret (`wrangler secret put`), or a binding. */
export type VariableKind = "var" | "secret" | "binding";

/** One variable's description. */
export interface Variable {
  name: string;
  kind: VariableKind;
  /** The value wrangler.toml ships ("" for unset); plain variables only. */
  default?: string;
  description: string;
  /** A well-formed value: shown in docs, and used by `npm run check` as a secret's stand-in. */
  example?: string;
}

export const VARIABLES = [
  {
    name: "UPSTREAMS",
    kind: "var",
    default: "",
    description:
      'JSON object merged over the route table: `{"name": {"registry": URL, "realm"?: URL, "index"?: URL, "hosts"?: [names]}}`. Adds registries (reachable as `name.` subdomain, and by their host as path prefix and `?ns=`; an entry without `hosts` whose registry is an internal address (an IP, a port, a single label, `.local`, `.internal`, `.lan`, …) by its route name instead, `<domain>/name/owner/image`, so the address is never published) or points existing routes elsewhere; a route pointed elsewhere drops its built-in realm and search index unless you give them (to keep `docker search` on a repointed Docker Hub route, add `"index": "https://index.docker.io"`). Any route whose `registry` is `https://registry-1.docker.io` gets Docker Hub\'s `library/` rule and search index, whatever its name. `index` is the origin of a v1 search API. `http:` URLs are allowed (for local registries).',
    example: '{"harbor": {"registry": "https://harbor.example.com"}}',
  },
  {
    name: "UPSTREAM_TIMEOUT_SECONDS",
    kind: "var",
    default: "30",
    description:
      "How long to wait for an upstream's response headers before answering `504` (or, for a cached tag, serving it `STALE`). Bodies stream without a deadline.",
    example: "30",
  },
  {
    name: "UPSTREAM_IDLE_TIMEOUT_SECONDS",
    kind: "var",
    default: "0",
    description:
      "How long an upstream body may send nothing, while the client is waiting for bytes, before edgehub fails the client's response: it ends short of `Content-Length`, so the client sees an error (and may retry) instead of hanging. A slow client never trips it. Off by default because a watched body passes through JavaScript instead of the runtime's own pipe: measured here, about twice the runtime's CPU per byte (1.3 against 0.6 CPU seconds per GiB, so roughly 1 ms per MB more) and ~6 MiB more memory per stream, which the free plan's 10 ms CPU per request cannot afford for large layers. On a paid plan, `60` is a sensible value.",
    example: "60",
  },
  {
    name: "TAG_TTL_SECONDS",
    kind: "var",
    default: "300",
    description:
      "How long a public tag is answered from cache before an upstream `HEAD` revalidates it; `0` revalidates every time. At most 86400.",
    example: "300",
  },
  {
    name: "CACHE_CPU_BUDGET_MS",
    kind: "var",
    default: "10",
    description:
      "Milliseconds of CPU a request may spend hashing what it caches. Without R2, an object whose hash fits is stored hashed; a larger one is stored natively, checked for length only, and kept 7 days (see docs/caching.md). `30000` on a paid plan hashes every layer.",
    example: "30000",
  },
  {
    name: "CACHE",
    kind: "var",
    default: "on",
    description:
      "`off` sends every request to the upstream and stores nothing: for debugging. (The Cache API works on `*.workers.dev` too.)",
    example: "off",
  },
  {
    name: "BLOBS",
    kind: "binding",
    description:
      "Optional R2 bucket behind the cache: blobs and manifests by digest for every data centre, at any size, verified by R2's own sha256 check. Create it with `npx wrangler r2 bucket create edgehub-blobs` and uncomment the `r2_buckets` blocks in `wrangler.toml`.",
  },
  {
    name: "MIRROR_HOST",
    kind: "var",
    default: "",
    description:
      "The mirror's own domain, written by `npm run setup`; empty on `workers.dev`. It serves the default route (Docker Hub) whatever its first label: `ghcr.corp.example` is a Docker Hub mirror.",
    example: "mirror.example.com",
  },
  {
    name: "MIRROR_SUBDOMAINS",
    kind: "var",
    default: "",
    description:
      "Comma-separated host names, each routing to the registry its first label names (`ghcr.example.com`), written by `npm run setup`. The page offers exactly these subdomains; empty (`workers.dev`), it offers path prefixes only.",
    example: "ghcr.mirror.example.com, quay.mirror.example.com",
  },
  {
    name: "HOME_PAGE",
    kind: "var",
    default: "guide",
    description:
      'What browsers see at `/` and every other path outside the registry APIs: `guide` (the page that shows each client what to paste, plus a `robots.txt` that keeps crawlers out), `nginx` (a stock "Welcome to nginx!" page, nginx\'s own 404 and 405 pages elsewhere, nothing that mentions a registry), `redirect:https://…` (a `302` there), or `none` (an OCI `404`). Registry paths (`/v2/…`, `/token`, `/v1/…`) work the same whatever it says. A public mirror domain gets crawled and reported as phishing; the decoy keeps it quiet.',
    example: "nginx",
  },
  {
    name: "DOCKERHUB_USERNAME",
    kind: "secret",
    description:
      "The Docker Hub account the Worker pulls with (with `DOCKERHUB_TOKEN`), for clients that bring no credentials of their own. Set both or neither.",
    example: "myname",
  },
  {
    name: "DOCKERHUB_TOKEN",
    kind: "secret",
    description:
      "A Docker Hub [personal access token](https://docs.docker.com/security/access-tokens/) of `DOCKERHUB_USERNAME`, which the Worker pulls with for clients that bring no credentials of their own. Set both or neither.",
    example: "dckr_pat_placeholder",
  },
  {
    name: "UPSTREAM_CREDENTIALS",
    kind: "secret",
    description:
      'Credentials the Worker pulls with on any route, for clients that bring none: JSON `{"ghcr": {"username": "…", "password": "…"}}`, keyed by route name or registry host.',
    example: '{"ghcr": {"username": "me", "password": "ghp_placeholder"}}',
  },
  {
    name: "SHARE_UPSTREAM_CREDENTIALS",
    kind: "var",
    default: "false",
    description:
      "`true` lets anonymous clients of a mirror without users pull with those credentials on routes without an allow list. Only with a token that reads public repositories alone (Docker Hub: _Public Repo Read-only_); see docs/access.md.",
    example: "true",
  },
  {
    name: "UPSTREAM_FALLBACKS",
    kind: "var",
    default: "",
    description:
      'JSON, route (or registry host) → a registry origin serving the same images, or an ordered list of them: `{"docker": ["https://mirror.gcr.io", "https://registry.example.net"]}`. When the route\'s registry answers `429` or `503`, cannot be reached, or its token service or `/v2/` check refuses for now, each is asked in turn, anonymously, for manifests and blobs. Unset, Docker Hub falls back to `https://mirror.gcr.io` (popular images only); `{"docker": []}` turns that off. Fallbacks are listed on the page. See docs/upstreams.md.',
    example: '{"docker": ["https://mirror.gcr.io"]}',
  },
  {
    name: "MIRROR_USERS",
    kind: "secret",
    description:
      "`user:password` pairs separated by commas (or spaces, newlines): clients must `docker login` to the mirror. Passwords of 8+ characters, without commas or spaces.",
    example: "alice:long-password",
  },
  {
    name: "MIRROR_TOKEN_SECRET",
    kind: "secret",
    description:
      "The HMAC key that signs the mirror's own tokens, 32+ characters (`openssl rand -base64 48`). Required with `MIRROR_USERS`, refused without.",
    example: "placeholder-placeholder-placeholder-placeholder",
  },
  {
    name: "ALLOWED_REPOSITORIES",
    kind: "var",
    default: "",
    description:
      'JSON, route → globs: `{"docker": ["library/*", "bitnami/*"], "ghcr": ["my-org/**"]}`. When set, only matching repositories of listed routes are served; everything else is `403 DENIED`.',
    example: '{"docker": ["library/*", "bitnami/*"], "ghcr": ["my-org/**"]}',
  },
  {
    name: "DENIED_REPOSITORIES",
    kind: "var",
    default: "",
    description: "JSON, route → globs that are refused with `403 DENIED`, even when allowed.",
    example: '{"docker": ["someone/crypto-miner"]}',
  },
  {
    name: "BLOCKED_USER_AGENTS",
    kind: "var",
    default: "",
    description: "Comma-separated User-Agent substrings, case-insensitive (`bot, crawler, spider`), answered `403`.",
    example: "bot, crawler, spider",
  },
  {
    name: "RATE_LIMITER",
    kind: "binding",
    description:
      "A [Rate Limiting binding](https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/) (`[[ratelimits]]`, commented out in `wrangler.toml`): each client IP (IPv6: its /64) gets that many requests per period, then `429 TOOMANYREQUESTS` with `Retry-After: 60`.",
  },
  {
    name: "STATS",
    kind: "binding",
    description:
      "The `StatsStore` Durable Object (SQLite-backed, free plan included) that keeps the owner's statistics; declared in `wrangler.toml` with its migration. Idle until `STATS_TOKEN` is set. See [docs/stats.md](stats.md).",
  },
  {
    name: "STATS_TOKEN",
    kind: "secret",
    description:
      "Turns on the owner's statistics at `/stats` (requests, pulls, hit ratio, Docker Hub requests saved): the page answers this token as `Authorization: Bearer` or as the password of HTTP Basic (any user name). Without it nothing is counted and `/stats` is any unknown path. `openssl rand -base64 32`; see [docs/stats.md](stats.md).",
    example: "placeholder-stats-token-0123456789",
  },
] as const satisfies readonly Variable[];

/** The name of each variable of one kind. */
export type VariableName<K extends VariableKind = VariableKind> = Extract<
  (typeof VARIABLES)[number],
  { kind: K }
>["name"];
