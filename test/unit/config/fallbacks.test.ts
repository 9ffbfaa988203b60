import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";

const fallbacksOf = (env: Record<string, string>) => Object.fromEntries(parseConfig(env).access.fallbacks);

describe("UPSTREAM_FALLBACKS: one origin or an ordered list per route, keyed by registry", () => {
  it.each([
    ["unset: Docker Hub falls back to mirror.gcr.io", {}, { "registry-1.docker.io": ["https://mirror.gcr.io"] }],
    ["{}: the same", { UPSTREAM_FALLBACKS: "{}" }, { "registry-1.docker.io": ["https://mirror.gcr.io"] }],
    ["an empty list turns it off", { UPSTREAM_FALLBACKS: '{"docker": []}' }, {}],
    [
      "one origin, by registry host",
      { UPSTREAM_FALLBACKS: '{"docker.io": "https://public.ecr.aws"}' },
      { "registry-1.docker.io": ["https://public.ecr.aws"] },
    ],
    [
      "an ordered list, and another route's",
      {
        UPSTREAM_FALLBACKS: '{"docker": ["https://a.example", "http://b.example:5000"], "ghcr": "https://c.example/"}',
      },
      { "registry-1.docker.io": ["https://a.example", "http://b.example:5000"], "ghcr.io": ["https://c.example"] },
    ],
    [
      "a docker route pointed elsewhere takes no Docker Hub fallback along",
      { UPSTREAMS: '{"docker": {"registry": "https://registry.example.net"}}' },
      { "registry-1.docker.io": ["https://mirror.gcr.io"] },
    ],
  ])("%s", (_label, env, expected) => {
    expect(fallbacksOf(env)).toEqual(expected);
  });

  it.each([
    ['{"docker": ["https://mirror.gcr.io", 3]}', "must be a registry origin"],
    ['{"docker": ["https://mirror.gcr.io", "https://mirror.gcr.io/"]}', "lists one origin twice"],
    ['{"docker": ["https://registry-1.docker.io"]}', "the route's own registry"],
    ['{"docker": [], "docker.io": ["https://mirror.gcr.io"]}', "listed under another key"],
    ['["https://mirror.gcr.io"]', "must be a JSON object"],
    [JSON.stringify({ docker: [1, 2, 3, 4, 5].map((n) => `https://m${n}.example`) }), "more than 4 fallbacks"],
  ])("%s is refused: %s", (value, problem) => {
    expect(() => parseConfig({ UPSTREAM_FALLBACKS: value })).toThrow(problem);
  });
});
