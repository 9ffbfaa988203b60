import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import { RegistryError } from "../../../src/core/errors";
import { parseSearchQuery } from "../../../src/upstream/search";

const config = parseConfig({
  UPSTREAMS: '{"harbor": {"registry": "https://harbor.example.net", "index": "https://harbor.example.net"}}',
});
const hub = config.upstreams.get("docker")!;

function query(url: string, upstream = hub): { route: string; term: string; url: string } {
  const parsed = parseSearchQuery(new URL(url), upstream, config);
  return { route: parsed.upstream.name, term: parsed.term, url: parsed.url };
}

describe("parseSearchQuery: the term Docker Hub expects", () => {
  it.each([
    // What `docker search <mirror>/<term>` makes dockerd send: the term without the mirror host.
    ["alpine", "alpine"],
    ["bitnami/redis", "bitnami/redis"],
    // dockerd strips library/ only for Docker Hub itself; through a mirror it arrives, and we strip it.
    ["library/alpine", "alpine"],
    ["LIBRARY/alpine", "alpine"],
    // Clients that send the whole argument, host included.
    ["mirror.example.com/alpine", "alpine"],
    ["MIRROR.example.com/library/alpine", "alpine"],
    ["mirror.example.com/bitnami/redis", "bitnami/redis"],
    // Docker Hub's own names as a path prefix, as in a pull.
    ["docker.io/library/alpine", "alpine"],
    ["index.docker.io/nginx", "nginx"],
    ["mirror.example.com/docker.io/library/nginx", "nginx"],
    // Free text stays free text.
    ["  redis cache ", "redis cache"],
    ["library", "library"],
  ])("q=%s -> %s", (q, term) => {
    const parsed = query(`https://mirror.example.com/v1/search?q=${encodeURIComponent(q)}`);
    expect(parsed).toMatchObject({ route: "docker", term });
    expect(new URL(parsed.url).origin).toBe("https://index.docker.io");
  });

  it("strips the mirror host with or without its port", () => {
    expect(query("https://mirror.example.com:8443/v1/search?q=mirror.example.com:8443/nginx").term).toBe("nginx");
    expect(query("https://mirror.example.com:8443/v1/search?q=mirror.example.com/nginx").term).toBe("nginx");
  });

  it("a registry host prefix picks that route, library/ stays for non-Hub routes", () => {
    expect(query("https://m.example.com/v1/search?q=harbor.example.net/library/app")).toEqual({
      route: "harbor",
      term: "library/app",
      url: "https://harbor.example.net/v1/search?q=library%2Fapp",
    });
  });

  it("passes n and page, and nothing else", () => {
    expect(query("https://m.example.com/v1/search?q=a&n=100&page=3&is_official=true&ns=docker.io").url).toBe(
      "https://index.docker.io/v1/search?q=a&n=100&page=3",
    );
  });

  it.each(["0", "101", "1.5", "-2", "1e2", "01"])("refuses n=%s", (n) => {
    expect(() => query(`https://m.example.com/v1/search?q=a&n=${n}`)).toThrow(RegistryError);
  });

  it("a route without an index cannot be searched", () => {
    const error = (() => {
      try {
        query("https://m.example.com/v1/search?q=a", config.upstreams.get("quay")!);
      } catch (e) {
        return e as RegistryError;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: "UNSUPPORTED", status: 404 });
  });
});
