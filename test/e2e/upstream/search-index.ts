/**
 * An imitation of Docker Hub's search API (index.docker.io/v1/search), answering from a list of repositories the way
 * Docker Hub lists them: an official image (`library/alpine`) as `alpine` with is_official, others by their full name.
 * A term matches names that contain it, so a term that still carries `library/` finds no official image, as on Hub.
 * The body is what dockerd decodes: moby api/types/registry SearchResults.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { RequestLog } from "./log";
import { close, listen, reply } from "./serve";

/** How to run the index. */
export interface SearchIndexOptions {
  /** Public repositories, as in the registry (`library/alpine`, `bitnami/redis`). */
  repositories: string[];
  log: RequestLog;
}

/** A running index. */
export interface SearchIndex {
  /** Base URL (no trailing slash), to configure as a route's `index`. */
  url: string;
  stop(): Promise<void>;
}

/** One search result, as Docker Hub sends it. */
export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

/** Starts the index on an ephemeral port of 127.0.0.1. */
export async function startSearchIndex(options: SearchIndexOptions): Promise<SearchIndex> {
  const listed = options.repositories.map(listing);
  const server = createServer((req, res) => {
    const entry = options.log.open("index", req);
    const { status, body } = answer(req, listed);
    const text = JSON.stringify(body);
    entry.status = status;
    entry.bytes = Buffer.byteLength(text);
    reply(res, status, text);
  });
  return { url: await listen(server), stop: () => close(server) };
}

function answer(req: IncomingMessage, listed: SearchResult[]): { status: number; body: unknown } {
  const url = new URL(req.url ?? "/", "http://index.invalid");
  if (url.pathname !== "/v1/search") return { status: 404, body: { detail: "not found" } };
  if (req.method !== "GET") return { status: 405, body: { detail: "method not allowed" } };
  const query = url.searchParams.get("q") ?? "";
  if (query === "") return { status: 400, body: { detail: "q is required" } };
  const pageSize = Number(url.searchParams.get("n") ?? 25);
  const page = Number(url.searchParams.get("page") ?? 1);
  const matches = listed.filter((result) => result.name.includes(query.toLowerCase()));
  return {
    status: 200,
    body: {
      num_pages: Math.max(1, Math.ceil(matches.length / pageSize)),
      num_results: matches.length,
      page_size: pageSize,
      page,
      query,
      results: matches.slice((page - 1) * pageSize, page * pageSize),
    },
  };
}

function listing(repository: string): SearchResult {
  const official = repository.startsWith("library/");
  const name = official ? repository.slice("library/".length) : repository;
  return {
    name,
    description: official ? `Official image ${name} (e2e fixture)` : `${name} (e2e fixture)`,
    star_count: official ? 1000 : 10,
    is_official: official,
    is_automated: false,
  };
}
