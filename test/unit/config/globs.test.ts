/**
 * What a repository glob matches; the matcher is linear in the name's length whatever the globs, and matches what
 * the regex it replaced matched.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileGlobs, type RepositoryMatcher } from "../../../src/config/globs";
import { BUILTIN_UPSTREAMS, normalizeRepository, type Upstream } from "../../../src/config/registries";

const hub = BUILTIN_UPSTREAMS.find((u) => u.name === "docker")!;
const ghcr = BUILTIN_UPSTREAMS.find((u) => u.name === "ghcr")!;

function compiled(patterns: string[], upstream: Upstream = hub): RepositoryMatcher {
  const matcher = compileGlobs(patterns, upstream);
  if (typeof matcher === "string") throw new Error(`bad glob ${matcher}`);
  return matcher;
}

/** The matcher as it was before: one backtracking regex for the list. The oracle of the property below. */
function regexMatcher(patterns: string[], upstream: Upstream): RepositoryMatcher {
  const expressions = patterns.map((raw) => {
    const pattern = raw.trim().toLowerCase();
    const name = pattern.includes("/") || pattern.includes("**") ? pattern : normalizeRepository(upstream, pattern);
    return name
      .split("**")
      .map((part) =>
        part
          .split("*")
          .map((literal) => literal.replace(/\./g, "\\."))
          .join("[^/]*"),
      )
      .join(".*");
  });
  const expression = new RegExp(`^(?:${expressions.join("|") || "(?!)"})$`);
  return (repository) => expression.test(repository);
}

/** Mean milliseconds per call of `work`, the best of ten rounds (a busy machine only ever makes a round slower). */
function msPerCall(work: () => unknown, calls: number): number {
  let best = Infinity;
  for (let round = 0; round < 10; round++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) work();
    best = Math.min(best, (performance.now() - started) / calls);
  }
  return best;
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
    expect(compiled(patterns)(repository)).toBe(expected);
  });

  it("a short pattern on a registry without library/ stays as written", () => {
    expect(compiled(["alpine"], ghcr)("alpine")).toBe(true);
    expect(compiled(["alpine"], ghcr)("library/alpine")).toBe(false);
  });

  it.each(["library/(a|b)", "/library", "library/", "a//b", "a b", "a/[bc]", ""])(
    "refuses the malformed glob %j",
    (pattern) => {
      expect(compileGlobs(["ok/*", pattern], hub)).toBe(pattern);
    },
  );
});

describe("glob matching time", () => {
  // Each glob makes a backtracking regex try every way of splitting a run of `a`s among its wildcards before failing.
  const pathological = compiled(
    [
      "*a*a*a*a*a*b",
      "a**a**a**a**a**a**c",
      "**a*a*a*a*a*/x",
      "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*d",
    ],
    ghcr,
  ); // no `library/` in front, which would fail the name at its first character
  const name = (length: number) => "a".repeat(length);

  it("a pathological glob list and a 255-character name: well under a millisecond", () => {
    expect(pathological(name(255))).toBe(false);
    // About 0.05 ms on a quiet machine; the bound leaves room for a loaded one. A backtracking matcher takes minutes.
    expect(msPerCall(() => pathological(name(255)), 100)).toBeLessThan(1);
  });

  it("grows linearly with the name: five times the length costs at most about five times the time", () => {
    // Measured against the same matcher on a fifth of the name in the same run, so a slow machine slows both.
    // Linear predicts 5x; the bound leaves room for noise and is still below quadratic (25x).
    const short = msPerCall(() => pathological(name(51)), 1_000);
    const long = msPerCall(() => pathological(name(255)), 200);
    expect(long / short).toBeLessThan(12);
  });
});

describe("the linear matcher agrees with the regex it replaced", () => {
  const RUNS = 5_000;
  const component = (unit: string) => fc.string({ unit: fc.constantFrom(...unit), minLength: 1, maxLength: 4 });
  const path = (unit: string) =>
    fc.array(component(unit), { minLength: 1, maxLength: 3 }).map((parts) => parts.join("/"));
  const glob = fc.oneof(path("ab.*"), component("ab*"), fc.constantFrom("*", "**", "***", "a**", "**/a", "library/*"));
  const repository = fc.oneof(
    path("ab."),
    path("ab.").map((p) => `library/${p}`),
    fc.string({ unit: fc.constantFrom(..."ab./*"), maxLength: 10 }),
  );

  it(`on ${RUNS} short glob lists and names (fixed seed)`, () => {
    let cases = 0;
    fc.assert(
      fc.property(fc.array(glob, { maxLength: 3 }), repository, fc.constantFrom(hub, ghcr), (globs, name, upstream) => {
        cases++;
        expect(compiled(globs, upstream)(name)).toBe(regexMatcher(globs, upstream)(name));
      }),
      { seed: 17, numRuns: RUNS },
    );
    expect(cases).toBe(RUNS);
  });
});
