import { describe, expect, it } from "vitest";
import type { RequestLine } from "../../../src/respond/request-log";
import { addLine, emptyCounts, type HourCounts, isPull } from "../../../src/stats/counts";
import { hitRatio } from "../../../src/stats/page";

const DIGEST = `sha256:${"a".repeat(64)}`;

function line(fields: Partial<RequestLine>): RequestLine {
  return {
    method: "GET",
    path: "/v2/library/alpine/manifests/latest",
    route: "docker",
    kind: "manifest",
    repository: "library/alpine",
    object: "latest",
    status: 200,
    cache: "MISS",
    fallback: undefined,
    bytes: 100,
    upstreamMs: 5,
    ms: 9,
    ...fields,
  };
}

function countsOf(fields: Partial<RequestLine>): Partial<HourCounts> {
  const counts = emptyCounts();
  addLine(counts, line(fields));
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}

describe("what one request adds", () => {
  it.each<[string, Partial<RequestLine>, Partial<HourCounts>]>([
    ["a pull fetched upstream", {}, { requests: 1, pulls: 1, misses: 1, bytesFromUpstream: 100 }],
    [
      "a pull from cache",
      { cache: "HIT", upstreamMs: 0 },
      { requests: 1, pulls: 1, hits: 1, avoided: 1, bytesFromCache: 100 },
    ],
    ["a revalidated pull", { cache: "REVALIDATED" }, { requests: 1, pulls: 1, revalidated: 1, bytesFromCache: 100 }],
    ["a stale pull", { cache: "STALE" }, { requests: 1, pulls: 1, stale: 1, bytesFromCache: 100 }],
    [
      "a manifest by digest",
      { object: DIGEST, cache: "HIT" },
      { requests: 1, hits: 1, avoided: 1, bytesFromCache: 100 },
    ],
    ["a HEAD by tag", { method: "HEAD", bytes: undefined, cache: "HIT" }, { requests: 1, hits: 1, avoided: 1 }],
    ["a 404 by tag", { status: 404, bytes: 80 }, { requests: 1, misses: 1 }],
    ["a 429", { status: 429, cache: undefined, bytes: 90 }, { requests: 1, rateLimited: 1 }],
    ["a blob", { kind: "blob", object: DIGEST }, { requests: 1, misses: 1, bytesFromUpstream: 100 }],
    [
      "a tags list (no cache)",
      { kind: "tags", object: undefined, cache: undefined },
      { requests: 1, bytesFromUpstream: 100 },
    ],
    [
      "the guide",
      { kind: "page", repository: undefined, object: undefined, cache: undefined, path: "/" },
      { requests: 1 },
    ],
  ])("%s", (_name, fields, expected) => {
    expect(countsOf(fields)).toEqual(expected);
  });

  it("calls only a 2xx manifest GET by tag a pull", () => {
    expect(isPull(line({}))).toBe(true);
    expect(isPull(line({ status: 206 }))).toBe(true);
    expect(isPull(line({ status: 304 }))).toBe(false);
    expect(isPull(line({ kind: "blob" }))).toBe(false);
  });
});

describe("the hit ratio", () => {
  it("is cached answers over cache lookups, and undefined without lookups", () => {
    expect(hitRatio({ hits: 3, misses: 1, revalidated: 0, stale: 0 })).toBe(0.75);
    expect(hitRatio({ hits: 1, misses: 2, revalidated: 1, stale: 0 })).toBe(0.5);
    expect(hitRatio({ hits: 0, misses: 0, revalidated: 0, stale: 0 })).toBeUndefined();
  });
});
