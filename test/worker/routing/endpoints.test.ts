import { describe, expect, it } from "vitest";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const digest = `sha256:${"a".repeat(64)}`;

describe("tags and referrers", () => {
  it("tags/list forwards n and last, drops ns, and rewrites the next Link into the client's view", async () => {
    const fake = fakeUpstreams({
      [HUB]: () =>
        Response.json(
          { name: "library/alpine", tags: ["3.19"] },
          { headers: { link: '</v2/library/alpine/tags/list?last=3.19&n=1>; rel="next"' } },
        ),
    });
    const response = await callWorker("https://example.com/v2/alpine/tags/list?n=1&last=3.18&ns=docker.io&junk=1");
    expect(fake.sent[0]!.url.href).toBe("https://registry-1.docker.io/v2/library/alpine/tags/list?n=1&last=3.18");
    expect(response.headers.get("link")).toBe('</v2/alpine/tags/list?last=3.19&n=1&ns=docker.io>; rel="next"');
    expect(await response.json()).toEqual({ name: "library/alpine", tags: ["3.19"] });
  });

  it("on a path-prefix route the Link keeps the prefix so it comes back to the same registry", async () => {
    fakeUpstreams({
      "ghcr.io": () => new Response("{}", { headers: { link: '</v2/owner/img/tags/list?last=b>; rel="next"' } }),
    });
    const response = await callWorker("https://example.com/v2/ghcr.io/owner/img/tags/list");
    expect(response.headers.get("link")).toBe('</v2/ghcr.io/owner/img/tags/list?last=b>; rel="next"');
  });

  it("referrers forwards artifactType and passes OCI-Filters-Applied", async () => {
    const fake = fakeUpstreams({
      [HUB]: () =>
        Response.json(
          { schemaVersion: 2, manifests: [] },
          {
            headers: {
              "content-type": "application/vnd.oci.image.index.v1+json",
              "oci-filters-applied": "artifactType",
            },
          },
        ),
    });
    const response = await callWorker(
      `https://example.com/v2/bitnami/redis/referrers/${digest}?artifactType=application%2Fspdx`,
    );
    expect(fake.sent[0]!.url.href).toBe(
      `https://registry-1.docker.io/v2/bitnami/redis/referrers/${digest}?artifactType=application%2Fspdx`,
    );
    expect(response.headers.get("oci-filters-applied")).toBe("artifactType");
  });
});

describe("bad input never reaches an upstream", () => {
  it.each([
    ["GET", "/v2/UPPER/manifests/latest", 400, "NAME_INVALID"],
    ["GET", "/v2/alpine/manifests/bad!tag", 400, "NAME_INVALID"],
    ["GET", "/v2/alpine/manifests/.bad", 400, "TAG_INVALID"],
    ["GET", "/v2/alpine/blobs/sha256:short", 400, "DIGEST_INVALID"],
    ["GET", "/v2/a%2F..%2Fb/manifests/latest", 400, "NAME_INVALID"],
    ["GET", "/v2/evil.example.com/x/manifests/latest", 404, "NAME_UNKNOWN"],
    ["GET", "/v2/x/manifests/latest?ns=evil.example.com", 404, "NAME_UNKNOWN"],
    ["GET", "/nope", 404, "NAME_UNKNOWN"],
    // The endpoints' own query parameters are forwarded, so they are checked first, by the spec's grammar.
    ["GET", "/v2/alpine/tags/list?n=-1", 400, "PAGINATION_NUMBER_INVALID"],
    ["GET", "/v2/alpine/tags/list?n=1e9", 400, "PAGINATION_NUMBER_INVALID"],
    ["GET", "/v2/alpine/tags/list?n=1&n=2", 400, "PAGINATION_NUMBER_INVALID"],
    ["GET", "/v2/alpine/tags/list?last=..%2F..%2Fx", 400, "TAG_INVALID"],
    ["GET", `/v2/alpine/referrers/${digest}?artifactType=x%0d%0ay`, 400, "UNSUPPORTED"],
    // Only the registered algorithms: a registry cannot check anything else.
    ["GET", `/v2/alpine/blobs/md5:${"a".repeat(32)}`, 400, "DIGEST_INVALID"],
    ["GET", `/v2/alpine/manifests/sha384:${"a".repeat(96)}`, 400, "DIGEST_INVALID"],
    ["GET", `/v2/alpine/referrers/blake3:${"a".repeat(64)}`, 400, "DIGEST_INVALID"],
    ["PUT", "/v2/alpine/manifests/latest", 405, "UNSUPPORTED"],
    ["DELETE", `/v2/alpine/blobs/${digest}`, 405, "UNSUPPORTED"],
    ["POST", "/v2/alpine/blobs/uploads/", 405, "UNSUPPORTED"],
    ["PATCH", "/v2/alpine/blobs/uploads/abc", 405, "UNSUPPORTED"],
  ])("%s %s -> %i %s", async (method, path, status, code) => {
    const fake = fakeUpstreams({});
    const response = await callWorker(`https://example.com${path}`, { method });
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe(code);
    expect(fake.sent).toEqual([]);
  });
});

describe("upstream failures", () => {
  it("an unreachable upstream is a 502 whose detail names its route", async () => {
    fakeUpstreams({ [HUB]: () => Promise.reject(new TypeError("connection refused")) });
    const response = await callWorker("https://example.com/v2/alpine/manifests/latest");
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      errors: [
        {
          code: "UNAVAILABLE",
          message: "upstream of route docker: could not reach the upstream",
          detail: { route: "docker" },
        },
      ],
    });
  });

  it("an upstream that does not answer in UPSTREAM_TIMEOUT_SECONDS is a 504", async () => {
    fakeUpstreams({
      [HUB]: (request) =>
        new Promise((_resolve, reject) => request.signal.addEventListener("abort", () => reject(new Error("aborted")))),
    });
    const response = await callWorker(
      "https://example.com/v2/alpine/manifests/latest",
      {},
      { UPSTREAM_TIMEOUT_SECONDS: "0.05" },
    );
    expect(response.status).toBe(504);
    expect(((await response.json()) as { errors: { detail: unknown }[] }).errors[0]!.detail).toEqual({
      route: "docker",
    });
  });

  it("a malformed UPSTREAMS fails every request with a 500 that names the variable", async () => {
    const fake = fakeUpstreams({});
    const response = await callWorker("https://example.com/v2/", {}, { UPSTREAMS: "{oops" });
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).toContain("UPSTREAMS");
    expect(fake.sent).toEqual([]);
  });
});

describe("UPSTREAMS", () => {
  it("points the docker route at a local http registry, for ns, prefix and default routing alike", async () => {
    const fake = fakeUpstreams({ "127.0.0.1:5000": () => new Response("{}") });
    const vars = {
      UPSTREAMS: '{"docker": {"registry": "http://127.0.0.1:5000", "realm": "http://127.0.0.1:5001/token"}}',
    };
    for (const path of [
      "/v2/alpine/tags/list",
      "/v2/docker.io/alpine/tags/list",
      "/v2/library/alpine/tags/list?ns=docker.io",
    ]) {
      expect((await callWorker(`http://localhost:8787${path}`, {}, vars)).status).toBe(200);
    }
    expect(fake.sent.map((r) => r.url.href)).toEqual(
      Array(3).fill("http://127.0.0.1:5000/v2/library/alpine/tags/list"),
    );
  });

  it("adds a registry reachable by subdomain, path prefix and ns", async () => {
    const fake = fakeUpstreams({ "harbor.example.net": () => new Response("{}") });
    const vars = { UPSTREAMS: '{"harbor": {"registry": "https://harbor.example.net"}}' };
    await callWorker("https://harbor.example.com/v2/p/img/tags/list", {}, vars);
    await callWorker("https://example.com/v2/harbor.example.net/p/img/tags/list", {}, vars);
    await callWorker("https://example.com/v2/p/img/tags/list?ns=harbor.example.net", {}, vars);
    expect(fake.sent.map((r) => r.url.href)).toEqual(Array(3).fill("https://harbor.example.net/v2/p/img/tags/list"));
  });
});
