/**
 * Properties of the challenge parser and formatter over generated input: thousands of cases, from a fixed seed so a
 * failure reproduces, and a time bound so the suite stays fast on a loaded machine.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Challenge, formatChallenge, parseChallenge } from "../../../src/core/challenge";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../../worker/support/arbitraries";

describe("challenge properties", () => {
  const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9a-z-]{1,12}$/);
  const challenge: fc.Arbitrary<Challenge> = fc.record({
    scheme: token,
    params: fc.dictionary(
      fc.oneof(token, fc.constantFrom("realm", "service", "scope", "__proto__", "constructor")),
      fc.string({ unit: "binary-ascii" }),
      { maxKeys: 5 },
    ),
  });

  it("formatChallenge then parseChallenge gives back the same challenge", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    await checkProperty(
      fc.property(challenge, (c) => {
        expect(parseChallenge(formatChallenge(c))).toEqual(c);
      }),
    );
  });

  it("parseChallenge never throws, and what it parses survives a round trip", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const header = fc.oneof(
      fc.string({ unit: "binary-ascii" }),
      challenge.map(formatChallenge),
      fc.string().map((s) => `Bearer ${s}`),
    );
    await checkProperty(
      fc.property(header, (h) => {
        const parsed = parseChallenge(h);
        if (parsed) expect(parseChallenge(formatChallenge(parsed))).toEqual(parsed);
      }),
    );
  });
});
