/**
 * Registry quirks follow the registry, not the route: any route to Docker Hub has its `library/` namespace (in paths,
 * scopes and allow/deny lists) and its search index, whatever the route is called.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import { normalizeRepository } from "../../../src/config/registries";
import { validComponent } from "../support/arbitraries";
import { callWorker, fakeUpstreams, json } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const SECOND_HUB = { UPSTREAMS: '{"hub2": {"registry": "https://registry-1.docker.io"}}' };

describe("a second route to Docker Hub", () => {
  it("adds library/ to a short name, as the built-in route does", async () => {
    const fake = fakeUpstreams({ [HUB]: () => json({ name: "library/alpine", tags: [] }) });
    expect((await callWorker("https://hub2.example.com/v2/alpine/tags/list", {}, SECOND_HUB)).status).toBe(200);
    expect(fake.sent.map((r) => r.url.pathname)).toEqual(["/v2/library/alpine/tags/list"]);
  });

  it("is held to a deny pattern library/x for the short name x", async () => {
    const fake = fakeUpstreams({ [HUB]: () => json({}) });
    const vars = { ...SECOND_HUB, DENIED_REPOSITORIES: '{"docker": ["library/nginx"]}' };
    const response = await callWorker("https://hub2.example.com/v2/nginx/manifests/latest", {}, vars);
    expect(response.status).toBe(403);
    expect(fake.sent).toEqual([]);
  });

  it("searches Docker Hub's index", async () => {
    const fake = fakeUpstreams({ "index.docker.io": () => json({ results: [] }) });
    expect((await callWorker("https://hub2.example.com/v1/search?q=library/alpine", {}, SECOND_HUB)).status).toBe(200);
    expect(fake.sent.map((r) => r.url.href)).toEqual(["https://index.docker.io/v1/search?q=alpine"]);
  });

  it("any route name, and a built-in route pointed at Docker Hub, names images as the docker route does", () => {
    let cases = 0;
    const route = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), fc.constantFrom("quay", "ghcr", "k8s"));
    fc.assert(
      fc.property(route, validComponent, (name, image) => {
        cases++;
        const config = parseConfig({
          UPSTREAMS: JSON.stringify({ [name]: { registry: "https://registry-1.docker.io" } }),
        });
        const upstream = config.upstreams.get(name)!;
        const docker = config.upstreams.get("docker")!;
        expect(normalizeRepository(upstream, image)).toBe(normalizeRepository(docker, image));
        expect(upstream.index).toBe(docker.index);
      }),
      { seed: 17, numRuns: 300 },
    );
    expect(cases).toBe(300);
  });

  it("a route to another registry gets no library/", async () => {
    const fake = fakeUpstreams({ "cr.example.net": () => json({}) });
    await callWorker(
      "https://corp.example.com/v2/alpine/tags/list",
      {},
      { UPSTREAMS: '{"corp": {"registry": "https://cr.example.net"}}' },
    );
    expect(fake.sent.map((r) => r.url.pathname)).toEqual(["/v2/alpine/tags/list"]);
  });
});
