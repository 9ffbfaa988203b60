import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import { RegistryError } from "../../../src/core/errors";
import { routeTokenRequest } from "../../../src/routing/scope";
import type { RouteVia } from "../../../src/routing/target";

const config = parseConfig({});
const route = (name: string, via: RouteVia) => ({ upstream: config.upstreams.get(name)!, via });

describe("the scope rule: a scope's name is read like a path on the token request's route", () => {
  it.each([
    ["docker", "default", "repository:nginx:pull", "repository:library/nginx:pull"],
    ["docker", "default", "repository:library/nginx:pull", "repository:library/nginx:pull"],
    ["docker", "default", "repository:docker.io/nginx:pull", "repository:library/nginx:pull"],
    ["docker", "default", "repository:bitnami/redis:pull,push", "repository:bitnami/redis:pull,push"],
    ["docker", "default", "repository(plugin):vieux/sshfs:pull", "repository(plugin):vieux/sshfs:pull"],
    ["docker", "default", "registry:catalog:*", "registry:catalog:*"],
    ["docker", "default", "garbage", "garbage"],
    // A name no pull could use is left for the realm to refuse.
    ["docker", "default", "repository:docker.io/docker.io/x:pull", "repository:docker.io/docker.io/x:pull"],
    ["ghcr", "subdomain", "repository:ghcr.io/owner/img:pull", "repository:owner/img:pull"],
    ["ghcr", "subdomain", "repository:owner/img:pull", "repository:owner/img:pull"],
    ["ghcr", "ns", "repository:ghcr.io/owner/img:pull", "repository:owner/img:pull"],
    ["ghcr", "ns", "repository:img:pull", "repository:img:pull"],
    // On an ns route the registry is fixed: a name that looks prefixed by another registry is its own repository.
    ["ghcr", "ns", "repository:docker.io/x:pull", "repository:docker.io/x:pull"],
    ["ghcr", "ns", "repository:ghcr.io/docker.io/x:pull", "repository:docker.io/x:pull"],
  ] as const)("%s (%s): %s -> %s", (name, via, scope, expected) => {
    expect(routeTokenRequest([scope], route(name, via), config).rewrite(scope)).toBe(expected);
  });
});

describe("which registry a token request is for", () => {
  it.each([
    ["ns wins", route("quay", "ns"), ["repository:coreos/etcd:pull"], "quay"],
    ["the scopes' prefix on the bare host", route("docker", "default"), ["repository:ghcr.io/o/i:pull"], "ghcr"],
    ["the scopes' prefix on another subdomain", route("quay", "subdomain"), ["repository:ghcr.io/o/i:pull"], "ghcr"],
    ["the host when the scopes have no prefix", route("quay", "subdomain"), ["repository:o/i:pull"], "quay"],
    ["the host when there is no scope", route("docker", "default"), [], "docker"],
    [
      "the host when the prefix names it",
      route("docker", "default"),
      ["repository:docker.io/library/alpine:pull", "repository:nginx:pull"],
      "docker",
    ],
  ])("%s", (_label, on, scopes, expected) => {
    const routed = routeTokenRequest(scopes, on, config);
    expect(routed.upstream.name).toBe(expected);
    expect(routed.via).toBe(expected === on.upstream.name ? on.via : "prefix");
  });

  it("scopes of two registries are a 400 that names both", () => {
    let error: unknown;
    try {
      routeTokenRequest(
        ["repository:ghcr.io/o/i:pull", "repository:quay.io/o/i:pull"],
        route("docker", "default"),
        config,
      );
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(400);
    expect((error as RegistryError).message).toBe(
      "one token request may name repositories of one registry only, not ghcr.io and quay.io",
    );
  });
});
