/**
 * `docker search` through the mirror. For `docker search mirror.example.com/nginx` the daemon asks this host, as a
 * v1 registry, `GET /v1/_ping` (twice) and then `GET /v1/search?q=nginx&n=25`; respond/search.ts answers the ping,
 * and the search goes to the route's index (Docker Hub's index.docker.io), whose JSON goes back to the client unchanged.
 * The daemon's side: moby registry/search.go (splitReposSearchTerm, v1 endpoint ping, session.searchRepositories).
 */
import type { Config } from "../config/config";
import type { Upstream } from "../config/registries";
import { RegistryError, upstreamError } from "../core/errors";
import { splitRegistryPrefix } from "../routing/reference";
import type { RoutedRequest } from "../routing/routed";
import { fetchUpstream, upstreamRateLimited } from "./fetch";

/** A search request reduced to what the index is asked. */
export interface SearchQuery {
  upstream: Upstream;
  /** The term as the index expects it: no mirror host, no registry prefix, no `library/`. */
  term: string;
  /** The index URL to fetch. */
  url: string;
}

/** Docker Hub caps a page at 100 results; the CLI refuses a larger --limit itself. */
const MAX_PAGE_SIZE = 100;
const MAX_TERM_LENGTH = 255;

/** Asks the index of the route the term names for `/v1/search`; respond/search.ts passes its JSON on untouched. */
export async function fetchSearch(routed: RoutedRequest): Promise<Response> {
  const { request, url, target, config } = routed;
  const query = parseSearchQuery(url, target.upstream, config);
  // Only what describes the request: the client's Authorization is `Basic Og==` or mirror credentials, never the index's.
  const headers = new Headers({ accept: "application/json" });
  const userAgent = request.headers.get("user-agent");
  if (userAgent !== null) headers.set("user-agent", userAgent);
  const response = await fetchUpstream(
    { method: "GET", url: query.url, headers },
    { timeoutMs: config.upstreamTimeoutMs },
  );
  if (!response.ok) {
    await response.body?.cancel();
    throw indexFailure(response, query.url);
  }
  return response;
}

/**
 * Reads `q`, `n` and `page`, and rewrites the term the way Docker Hub expects it: a leading mirror host goes (clients
 * that keep the whole `docker search` argument), a leading registry host picks that route as in a pull's path, and the
 * route's official namespace goes (`library/alpine` -> `alpine`, as the daemon itself does for Docker Hub).
 */
export function parseSearchQuery(url: URL, routed: Upstream, config: Config): SearchQuery {
  let term = (url.searchParams.get("q") ?? "").trim();
  let upstream = routed;
  const first = (term.split("/", 1)[0] ?? "").toLowerCase();
  if (term.includes("/") && (first === url.host.toLowerCase() || first === url.hostname.toLowerCase())) {
    term = term.slice(first.length + 1);
  }
  // A registry prefix picks the route as in a pull's path, by routing's own rule.
  const prefixed = splitRegistryPrefix(term, config.upstreamsByHost);
  if (prefixed) ({ upstream, rest: term } = prefixed);
  const official = upstream.officialNamespace ? `${upstream.officialNamespace}/` : undefined;
  if (official && term.toLowerCase().startsWith(official)) term = term.slice(official.length);
  if (term === "" || term.length > MAX_TERM_LENGTH) {
    throw new RegistryError("NAME_INVALID", "search needs a term of at most 255 characters: /v1/search?q=nginx", {
      detail: { q: url.searchParams.get("q") },
    });
  }
  // The request first, then whether this route can answer it: a malformed request is a 400 on any route.
  const n = readCount(url, "n", MAX_PAGE_SIZE);
  const page = readCount(url, "page", Number.MAX_SAFE_INTEGER);
  if (!upstream.index) {
    throw new RegistryError("UNSUPPORTED", `route ${upstream.name} has no search index on this mirror`, {
      status: 404,
      detail: { route: upstream.name },
    });
  }
  const target = new URL("/v1/search", upstream.index);
  target.searchParams.set("q", term);
  if (n !== undefined) target.searchParams.set("n", n);
  if (page !== undefined) target.searchParams.set("page", page);
  return { upstream, term, url: target.href };
}

/** A positive whole number no larger than `max`, as sent; undefined when absent. */
function readCount(url: URL, name: string, max: number): string | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(raw) || Number(raw) > max) {
    throw new RegistryError("PAGINATION_NUMBER_INVALID", `${name} must be a whole number from 1 to ${max}`, {
      detail: { [name]: raw },
    });
  }
  return raw;
}

/** An index that refused or failed: its body is not an OCI error, so the client gets one that says what happened. */
function indexFailure(response: Response, url: string): RegistryError {
  const detail = { status: response.status };
  if (response.status === 429)
    return upstreamRateLimited(response.headers, url, "its search index is rate-limiting this mirror");
  return upstreamError("UNAVAILABLE", `its search index answered ${response.status}`, url, { status: 502, detail });
}
