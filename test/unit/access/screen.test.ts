import { describe, expect, it } from "vitest";
import { clientKey } from "../../../src/access/screen";
import { compileGlobs, type RepositoryMatcher } from "../../../src/config/globs";
import { BUILTIN_UPSTREAMS } from "../../../src/config/registries";

const hub = BUILTIN_UPSTREAMS.find((u) => u.name === "docker")!;
const ghcr = BUILTIN_UPSTREAMS.find((u) => u.name === "ghcr")!;

function matcher(patterns: string[], upstream = hub): RepositoryMatcher {
  const compiled = compileGlobs(patterns, upstream);
  if (typeof compiled === "string") throw new Error(`bad glob ${compiled}`);
  return compiled;
}

describe("compileGlobs", () => {
  it.each([
    [["library/*"], "library/alpine", true],
    [["library/*"], "library/a/b", false],
    [["library/*"], "bitnami/redis", false],
    [["library/**"], "library/a/b", true],
    [["bitnami/*", "library/*"], "bitnami/redis", true],
    // A short pattern is read like a short client name: official images on Docker Hub.
    [["nginx"], "library/nginx", true],
    [["*"], "library/alpine", true],
    [["*"], "bitnami/redis", false],
    [["ngin*"], "library/nginx", true],
    [["**"], "a/b/c", true],
    // Patterns are lower-cased: repository names always are.
    [["Library/Alpine"], "library/alpine", true],
    // Dots are literal, not "any character".
    [["a.b/*"], "axb/c", false],
    [["a.b/*"], "a.b/c", true],
    [[], "library/alpine", false],
  ])("%j on Docker Hub: %s -> %s", (patterns, repository, expected) => {
    expect(matcher(patterns)(repository)).toBe(expected);
  });

  it("a short pattern on a registry without library/ stays as written", () => {
    expect(matcher(["alpine"], ghcr)("alpine")).toBe(true);
    expect(matcher(["alpine"], ghcr)("library/alpine")).toBe(false);
  });

  it.each(["library/(a|b)", "/library", "library/", "a//b", "a b", "a/[bc]", ""])(
    "refuses the malformed glob %j",
    (pattern) => {
      expect(compileGlobs(["ok/*", pattern], hub)).toBe(pattern);
    },
  );
});

describe("clientKey", () => {
  function keyOf(address?: string): string {
    return clientKey(new Request("https://example.com/", { headers: address ? { "cf-connecting-ip": address } : {} }));
  }

  it.each([
    ["203.0.113.9", "203.0.113.9"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::9", "2001:db8:1:2::/64"],
    ["2001:DB8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["2001:0db8:0001:0002:ffff::", "2001:db8:1:2::/64"],
  ])("%s counts as %s", (address, key) => {
    expect(keyOf(address)).toBe(key);
  });

  it("every address of one /64 shares a key", () => {
    expect(keyOf("2001:db8:1:2:aaaa::1")).toBe(keyOf("2001:db8:1:2:bbbb::2"));
  });

  it("a request without the header has a key too", () => {
    expect(keyOf()).toBe("unknown");
  });
});
