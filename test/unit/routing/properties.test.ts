/**
 * Properties of routing (scopes, routes) over generated input: thousands of cases each, from a fixed seed so a failure
 * reproduces, and a time bound so the suite stays fast on a loaded machine.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import type { Upstream } from "../../../src/config/registries";
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
