import { describe, expect, it } from "vitest";
import { callWorker, fakeUpstreams, HUB_CHALLENGE, postTokenForm } from "../support/fake-upstream";

const AUTH = "auth.docker.io";

describe("/token for Docker Hub", () => {
  it("forwards GET to auth.docker.io with library/ in the scope and the client's credentials", async () => {
    const fake = fakeUpstreams({ [AUTH]: () => Response.json({ token: "t", access_token: "t", expires_in: 300 }) });
    const response = await callWorker(
      "https://docker.example.com/token?service=registry.docker.io&scope=repository:nginx:pull&scope=repository:bitnami/redis:pull",
      {
        headers: { authorization: "Basic dXNlcjpwYXNz", "user-agent": "docker/28", cookie: "x=1" },
      },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ token: "t", access_token: "t", expires_in: 300 });
    expect(response.headers.get("cache-control")).toBe("no-store");
    const sent = fake.to(AUTH)[0]!;
    expect(sent.url.origin + sent.url.pathname).toBe("https://auth.docker.io/token");
    expect(sent.url.searchParams.get("service")).toBe("registry.docker.io");
    expect(sent.url.searchParams.getAll("scope")).toEqual([
      "repository:library/nginx:pull",
      "repository:bitnami/redis:pull",
    ]);
    expect(sent.headers.get("authorization")).toBe("Basic dXNlcjpwYXNz");
    expect(sent.headers.has("cookie")).toBe(false);
  });

  it("forwards the OAuth2 POST form with its scopes rewritten", async () => {
    const fake = fakeUpstreams({ [AUTH]: () => Response.json({ access_token: "a", expires_in: 300 }) });
    const response = await postTokenForm("https://example.com/token", {
      grant_type: "password",
      username: "u",
      password: "p",
      service: "registry.docker.io",
      scope: "repository:alpine:pull repository:docker.io/library/busybox:pull",
      client_id: "containerd-client",
    });
    expect(response.status).toBe(200);
    const sent = fake.to(AUTH)[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    const forwarded = new URLSearchParams(sent.body);
    expect(forwarded.get("scope")).toBe("repository:library/alpine:pull repository:library/busybox:pull");
    expect(forwarded.get("password")).toBe("p");
    expect(forwarded.get("client_id")).toBe("containerd-client");
  });

  it("passes the realm's 401 for bad credentials back to the client", async () => {
    fakeUpstreams({ [AUTH]: () => Response.json({ details: "incorrect username or password" }, { status: 401 }) });
    const response = await callWorker("https://example.com/token?service=registry.docker.io", {
      headers: { authorization: "Basic bad" },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ details: "incorrect username or password" });
  });

  it("uses the realm from UPSTREAMS when the docker route points elsewhere", async () => {
    const fake = fakeUpstreams({ "127.0.0.1:5001": () => Response.json({ token: "local" }) });
    const vars = {
      UPSTREAMS: '{"docker": {"registry": "http://127.0.0.1:5000", "realm": "http://127.0.0.1:5001/auth/token"}}',
    };
    await callWorker("http://127.0.0.1:8787/token?service=registry.test&scope=repository:alpine:pull", {}, vars);
    expect(fake.sent[0]!.url.href).toBe(
      "http://127.0.0.1:5001/auth/token?service=registry.test&scope=repository%3Alibrary%2Falpine%3Apull",
    );
  });
});

describe("/token parameters, by the token spec's grammar", () => {
  it.each([
    ["scope=repository:nginx", "scope"],
    ["scope=repository:nginx:pull%0A", "scope"],
    ["scope=repository:nginx:pull&service=a%20b", "service"],
    ["account=%00", "account"],
    ["offline_token=yes", "offline_token"],
  ])("?%s is a 400 naming %s, and no realm is asked", async (query, parameter) => {
    const fake = fakeUpstreams({});
    const response = await callWorker(`https://example.com/token?${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      errors: [{ code: "UNSUPPORTED", detail: { error: "invalid_request", parameter } }],
    });
    expect(fake.sent).toEqual([]);
  });

  it("forwards only the spec's parameters: ns and anything else stay here", async () => {
    const fake = fakeUpstreams({ [AUTH]: () => Response.json({ token: "t" }) });
    const query =
      "service=registry.docker.io&scope=repository:nginx:pull&account=u&client_id=docker&offline_token=true&ns=docker.io&debug=1";
    await callWorker(`https://example.com/token?${query}`, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect([...fake.to(AUTH)[0]!.url.searchParams.keys()]).toEqual([
      "service",
      "scope",
      "account",
      "client_id",
      "offline_token",
    ]);
  });
});

describe("/token for registries whose realm is learned", () => {
  it("asks the upstream's /v2/ for its realm, drops ns, strips the path prefix from the scope, and remembers", async () => {
    const fake = fakeUpstreams({
      "quay.io": (_r, url) =>
        url.pathname === "/v2/"
          ? new Response(null, {
              status: 401,
              headers: { "www-authenticate": 'Bearer realm="https://quay.io/v2/auth",service="quay.io"' },
            })
          : Response.json({ token: "q" }),
    });
    for (let i = 0; i < 2; i++) {
      const response = await callWorker(
        "https://example.com/token?ns=quay.io&service=quay.io&scope=repository:quay.io/coreos/etcd:pull",
      );
      expect(await response.json()).toEqual({ token: "q" });
    }
    expect(fake.sent.map((r) => `${r.url.pathname}${r.url.search}`)).toEqual([
      "/v2/",
      "/v2/auth?service=quay.io&scope=repository%3Acoreos%2Fetcd%3Apull",
      "/v2/auth?service=quay.io&scope=repository%3Acoreos%2Fetcd%3Apull",
    ]);
  });

  it("never learns the realm from a challenge it relayed: /token asks the registry's own /v2/, once", async () => {
    const fake = fakeUpstreams({
      "ghcr.io": (_r, url) =>
        url.pathname === "/token"
          ? Response.json({ token: "g" })
          : new Response(null, {
              status: 401,
              headers: {
                "www-authenticate":
                  'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/i:pull"',
              },
            }),
    });
    const challenged = await callWorker("https://ghcr.example.com/v2/o/i/manifests/1");
    expect(challenged.headers.get("www-authenticate")).toContain('realm="https://ghcr.example.com/token"');
    await callWorker("https://ghcr.example.com/token?service=ghcr.io&scope=repository:o/i:pull");
    await callWorker("https://ghcr.example.com/token?service=ghcr.io&scope=repository:o/i:pull");
    expect(fake.sent.map((r) => r.url.pathname)).toEqual(["/v2/o/i/manifests/1", "/v2/", "/token", "/token"]);
  });

  it("an upstream without token auth answers 404 at /token", async () => {
    fakeUpstreams({ "mcr.microsoft.com": () => new Response("{}", { status: 200 }) });
    const response = await callWorker("https://mcr.example.com/token?scope=repository:dotnet/runtime:pull");
    expect(response.status).toBe(404);
    expect(JSON.stringify(await response.json())).toContain("does not use token authentication");
  });
});

describe("a whole anonymous pull, as a client does it", () => {
  it("challenge -> token through the Worker -> manifest with the token", async () => {
    const fake = fakeUpstreams({
      "registry-1.docker.io": (request) =>
        request.headers.get("authorization") === "Bearer hub"
          ? Response.json({ schemaVersion: 2 })
          : new Response(null, {
              status: 401,
              headers: { "www-authenticate": `${HUB_CHALLENGE},scope="repository:library/alpine:pull"` },
            }),
      [AUTH]: () => Response.json({ token: "hub" }),
    });
    const first = await callWorker("https://docker.example.com/v2/alpine/manifests/latest");
    const realm = /realm="([^"]+)"/.exec(first.headers.get("www-authenticate")!)![1]!;
    const scope = /scope="([^"]+)"/.exec(first.headers.get("www-authenticate")!)![1]!;
    const tokenUrl = new URL(realm);
    tokenUrl.searchParams.set("service", "registry.docker.io");
    tokenUrl.searchParams.set("scope", scope);
    const { token } = (await (await callWorker(tokenUrl.href)).json()) as { token: string };
    const second = await callWorker("https://docker.example.com/v2/alpine/manifests/latest", {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(second.status).toBe(200);
    expect(fake.unexpected).toEqual([]);
  });
});

describe("a realm the upstream names badly", () => {
  it("a relative realm in a relayed challenge is not remembered: /token still asks the registry's /v2/", async () => {
    const fake = fakeUpstreams({
      "nvcr.io": (_r, url) =>
        url.pathname === "/v2/o/i/manifests/1"
          ? new Response(null, {
              status: 401,
              headers: { "www-authenticate": 'Bearer realm="/token",service="nvcr.io"' },
            })
          : url.pathname === "/v2/"
            ? new Response(null, {
                status: 401,
                headers: { "www-authenticate": 'Bearer realm="https://nvcr.io/v2/auth",service="nvcr.io"' },
              })
            : Response.json({ token: "q" }),
    });
    await (await callWorker("https://nvcr.example.com/v2/o/i/manifests/1")).body?.cancel();
    const response = await callWorker("https://nvcr.example.com/token?scope=repository:o/i:pull");
    expect(response.status).toBe(200);
    expect(fake.sent.map((r) => r.url.pathname)).toEqual(["/v2/o/i/manifests/1", "/v2/", "/v2/auth"]);
  });
});

describe("an oversized token request", () => {
  it("a POST body past 16 KiB is refused with 413 after reading at most one chunk more, and never forwarded", async () => {
    const fake = fakeUpstreams({});
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 4096;
        controller.enqueue(new Uint8Array(4096).fill(0x61));
      },
    });
    const response = await callWorker("https://example.com/token", {
      method: "POST",
      body: endless,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(16 * 1024 + 3 * 4096);
    expect(fake.sent).toEqual([]);
  });

  it("a declared Content-Length past 16 KiB is refused before reading", async () => {
    const fake = fakeUpstreams({});
    const response = await callWorker("https://example.com/token", {
      method: "POST",
      body: "a=1",
      headers: { "content-length": "99999999" },
    });
    expect(response.status).toBe(413);
    expect((await response.json<{ errors: { code: string }[] }>()).errors[0]!.code).toBe("UNSUPPORTED");
    expect(fake.sent).toEqual([]);
  });
});

describe("a realm that redirects a client's token form", () => {
  it("POST /token: a realm's redirect to another origin never gets the client's password form", async () => {
    const fake = fakeUpstreams({
      "quay.io": (_request, url) =>
        url.pathname === "/v2/auth"
          ? new Response(null, { status: 307, headers: { location: "https://elsewhere.example/steal" } })
          : new Response(null, {
              status: 401,
              headers: { "www-authenticate": 'Bearer realm="https://quay.io/v2/auth",service="quay.io"' },
            }),
      "elsewhere.example": () => Response.json({ token: "x" }),
    });
    const response = await postTokenForm("https://quay.example.com/token", {
      grant_type: "password",
      username: "u",
      password: "s3cret-password",
      service: "quay.io",
      scope: "repository:o/i:pull",
    });
    expect(response.status).toBe(502);
    await response.body?.cancel();
    expect(fake.to("elsewhere.example")).toEqual([]);
  });
});
