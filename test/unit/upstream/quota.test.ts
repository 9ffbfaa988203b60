import { describe, expect, it } from "vitest";
import { smallestRetryAfter } from "../../../src/upstream/fallbacks";
import { parseRateLimit } from "../../../src/upstream/quota";

describe("parseRateLimit: the quota an answer states", () => {
  it.each([
    [
      { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "76;w=21600" },
      { limit: 100, remaining: 76, windowSeconds: 21600 },
    ],
    [{ "ratelimit-remaining": "0;w=21600" }, { remaining: 0, windowSeconds: 21600 }],
    [{ ratelimit: "limit=100, remaining=50, reset=30" }, { limit: 100, remaining: 50 }],
    [
      { ratelimit: '"default";r=50;t=30', "ratelimit-policy": '"default";q=100;w=60' },
      { limit: 100, remaining: 50, windowSeconds: 60 },
    ],
    [{ "ratelimit-limit": "lots" }, undefined],
    [{}, undefined],
  ])("%j -> %j", (headers, expected) => {
    expect(parseRateLimit(new Headers(headers))).toEqual(expected);
  });
});

describe("smallestRetryAfter: what the client waits when every member of the chain refused", () => {
  const soon = new Date(Date.now() + 10_000).toUTCString();
  it.each([
    [["90", "45", null, undefined], "45"],
    [["90", "soon"], "90"],
    [["90", soon], soon],
    [[null, undefined, ""], undefined],
  ])("%j -> %s", (offered, expected) => {
    expect(smallestRetryAfter(offered)).toBe(expected);
  });
});
