/**
 * Properties of the pure modules over generated input: thousands of cases each, from a fixed seed so a failure
 * reproduces, and a time bound so the suite stays fast on a loaded machine.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import type { Upstream } from "../../../src/config/registries";
import { type Challenge, formatChallenge, parseChallenge } from "../../../src/core/challenge";
import { RegistryError } from "../../../src/core/errors";
import { routeRequest } from "../../../src/routing/route";
import { routeTokenRequest } from "../../../src/routing/scope";
import {
  anyHost,
  anyPath,
  anyQuery,
  anyScope,
  checkProperty,
  PROPERTY_TIMEOUT_MS,
} from "../../worker/support/arbitraries";

const config = parseConfig({});

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

describe("scope properties", () => {
  it("the scope rule is idempotent on every ns route: a scope already in the upstream's naming stays as it is", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const upstream = fc.constantFrom(...config.upstreams.values());
    const rewrite = (scope: string, u: Upstream) =>
      routeTokenRequest([scope], { upstream: u, via: "ns" }, config).rewrite(scope);
    await checkProperty(
      fc.property(anyScope, upstream, (scope, u) => {
        const once = rewrite(scope, u);
        expect(rewrite(once, u)).toBe(once);
      }),
    );
  });
});

describe("route properties", () => {
  it("routeRequest either routes or throws a RegistryError with a 4xx status, for any method, host, path and query", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const method = fc.oneof(
      fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
      fc.stringMatching(/^[A-Z]{1,8}$/),
    );
    await checkProperty(
      fc.property(method, anyHost, anyPath, anyQuery, (m, host, path, query) => {
        let url: URL;
        try {
          url = new URL(`https://${host}${path}${query}`);
        } catch {
          return; // not a URL a request could carry
        }
        try {
          const target = routeRequest(m, url, config);
          expect(config.upstreams.get(target.upstream.name)).toBe(target.upstream);
        } catch (error) {
          expect(error).toBeInstanceOf(RegistryError);
          expect((error as RegistryError).status).toBeGreaterThanOrEqual(400);
          expect((error as RegistryError).status).toBeLessThan(500);
        }
      }),
    );
  });
});
