/**
 * Proves the imitation upstream behaves like Docker Hub where the Worker depends on it: token auth and scopes,
 * redirects to a CDN that refuses Authorization, the fixture images, and exact request accounting.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { missingCommand } from "./clients/process";
import { requires, stackSkipReason } from "./support/prerequisites";
import { blobsOf, decodeClaims, fetchToken, startUpstream, type Upstream } from "./upstream/index";

const WORK_DIR = fileURLToPath(new URL("./.artifacts/upstream", import.meta.url));
const ACCEPT = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");
// Always async: the servers answering skopeo live in this process, so a synchronous exec would deadlock.
const run = promisify(execFile);

const skip = requires("the imitation upstream's suite", stackSkipReason(), missingCommand(["skopeo"]));
let upstream: Upstream;

beforeAll(async () => {
  if (skip) return;
  // A small library/large keeps this file fast; the client suite pulls the full size.
  upstream = await startUpstream({ workDir: WORK_DIR, largeMb: 8 });
});

afterAll(async () => {
  await upstream?.stop();
});

function sha256(bytes: ArrayBuffer | Buffer): string {
  return `sha256:${createHash("sha256")
    .update(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes))
    .digest("hex")}`;
}

/** A registry GET that does not follow redirects, so a test sees the 307 itself. */
function registry(path: string, token?: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: ACCEPT };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  return fetch(`${upstream.registryUrl}${path}`, { redirect: "manual", headers });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

async function pullToken(repository: string, withTester = false): Promise<string> {
  return fetchToken(upstream, [`repository:${repository}:pull`], withTester ? upstream.users.tester : undefined);
}

async function blobLocation(repository: string, digest: string): Promise<string> {
  const response = await registry(`/v2/${repository}/blobs/${digest}`, await pullToken(repository));
  expect(response.status).toBe(307);
  return response.headers.get("location") ?? "";
}

describe.skipIf(skip)("registry and token server", () => {
  test("GET /v2/ without a token answers 401 with a Bearer challenge naming the realm and service", async () => {
    const response = await registry("/v2/");
    expect(response.status).toBe(401);
    const challenge = `Bearer realm="${upstream.realmUrl}",service="${upstream.service}"`;
    expect(response.headers.get("www-authenticate")).toBe(challenge);
  });

  test("an anonymous token pulls the library/alpine manifest by tag, byte for byte", async () => {
    const { alpine } = upstream.images;
    const response = await registry("/v2/library/alpine/manifests/latest", await pullToken("library/alpine"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(alpine.mediaType);
    expect(response.headers.get("docker-content-digest")).toBe(alpine.digest);
    expect(await response.text()).toBe(alpine.manifest);
  });

  test("an anonymous token for private/secret lacks the scope, so the registry answers 401", async () => {
    const token = await pullToken("private/secret");
    expect(decodeClaims(token).access).toEqual([]);
    const response = await registry("/v2/private/secret/manifests/1", token);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
  });

  test("the tester's token pulls private/secret", async () => {
    const response = await registry("/v2/private/secret/manifests/1", await pullToken("private/secret", true));
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-content-digest")).toBe(upstream.images.secret.digest);
  });

  test("a repository that does not exist is granted to no one, as on Docker Hub", async () => {
    const token = await pullToken("library/nothing-here", true);
    expect(decodeClaims(token).access).toEqual([]);
    expect((await registry("/v2/library/nothing-here/manifests/latest", token)).status).toBe(401);
  });

  test("wrong credentials get 401 from the token server", async () => {
    const wrong = { username: "tester", password: "wrong" };
    await expect(fetchToken(upstream, ["repository:library/alpine:pull"], wrong)).rejects.toThrow(/401/);
  });

  test("the OAuth2 POST form grants password and refresh_token, without a 'token' field", async () => {
    const scope = "repository:private/secret:pull";
    const post = (fields: Record<string, string>): Promise<Response> =>
      fetch(upstream.realmUrl, {
        method: "POST",
        body: new URLSearchParams({ service: upstream.service, client_id: "e2e", scope, ...fields }),
      });
    const { username, password } = upstream.users.tester;
    const first = await json(await post({ grant_type: "password", username, password, access_type: "offline" }));
    expect(first.token).toBeUndefined();
    expect(first.scope).toBe(scope);
    const second = await json(await post({ grant_type: "refresh_token", refresh_token: String(first.refresh_token) }));
    expect((await registry("/v2/private/secret/manifests/1", String(second.access_token))).status).toBe(200);
    expect((await post({ grant_type: "password", username, password: "wrong" })).status).toBe(401);
  });

  test("library/multi resolves from an OCI index to per-platform manifests with distinct layers", async () => {
    const { multi } = upstream.images;
    const token = await pullToken("library/multi");
    const index = await registry("/v2/library/multi/manifests/latest", token);
    expect(index.headers.get("content-type")).toBe("application/vnd.oci.image.index.v1+json");
    const { manifests } = (await json(index)) as { manifests: { platform: { architecture: string } }[] };
    expect(manifests.map((m) => m.platform.architecture)).toEqual(["amd64", "arm64"]);
    for (const child of multi.manifests) {
      const response = await registry(`/v2/library/multi/manifests/${child.digest}`, token);
      expect(response.headers.get("content-type")).toBe("application/vnd.oci.image.manifest.v1+json");
      expect(sha256(await response.arrayBuffer())).toBe(child.digest);
    }
    expect(new Set(multi.manifests.map((m) => m.layers[0]?.digest)).size).toBe(2);
  });

  test("library/large has four random layers adding up to the requested size", () => {
    const layers = upstream.images.large.manifests[0]?.layers ?? [];
    expect(layers).toHaveLength(4);
    expect(layers.reduce((sum, layer) => sum + layer.size, 0)).toBeGreaterThanOrEqual(8 * 1024 * 1024);
  });
});

describe.skipIf(skip)("CDN", () => {
  test("a blob GET answers 307 to a signed URL on the CDN", async () => {
    const layer = upstream.images.alpine.manifests[0]?.layers[0];
    const location = new URL(await blobLocation("library/alpine", layer?.digest ?? ""));
    expect(location.origin).toBe(upstream.cdnUrl);
    expect(location.pathname).toMatch(/^\/docker\/registry\/v2\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}\/data$/);
    expect(location.searchParams.get("verify")).toMatch(/^\d+-[0-9a-f]{64}$/);
  });

  test("the CDN refuses Authorization with 400 and serves the exact bytes without it", async () => {
    const layer = upstream.images.large.manifests[0]?.layers[0];
    const location = await blobLocation("library/large", layer?.digest ?? "");
    expect((await fetch(location, { headers: { Authorization: "Bearer anything" } })).status).toBe(400);
    const response = await fetch(location);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(layer?.size));
    expect(sha256(await response.arrayBuffer())).toBe(layer?.digest);
  });

  test("the CDN refuses an unsigned URL with 403 and answers a Range with 206", async () => {
    const layer = upstream.images.alpine.manifests[0]?.layers[0];
    const location = await blobLocation("library/alpine", layer?.digest ?? "");
    expect((await fetch(location.split("?")[0] ?? "")).status).toBe(403);
    const whole = Buffer.from(await (await fetch(location)).arrayBuffer());
    const partial = await fetch(location, { headers: { Range: "bytes=10-19" } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toBe(`bytes 10-19/${whole.length}`);
    expect(Buffer.from(await partial.arrayBuffer())).toEqual(whole.subarray(10, 20));
  });
});

describe.skipIf(skip)("search index", () => {
  test("lists official images without library/, as Docker Hub does, and never the private image", async () => {
    const search = async (q: string) =>
      json(await fetch(`${upstream.indexUrl}/v1/search?q=${encodeURIComponent(q)}&n=25`));
    expect(await search("alpine")).toMatchObject({
      num_results: 1,
      query: "alpine",
      results: [{ name: "alpine", is_official: true }],
    });
    expect(await search("library/alpine")).toMatchObject({ num_results: 0 });
    expect(await search("redis")).toMatchObject({ results: [{ name: "bitnami/redis", is_official: false }] });
    expect(await search("secret")).toMatchObject({ num_results: 0 });
  });
});

describe.skipIf(skip)("request log", () => {
  test("counts an anonymous pull exactly: registry 401, token 200, registry 200 and 307, CDN 200", async () => {
    const { alpine } = upstream.images;
    upstream.resetLog();
    expect((await registry("/v2/library/alpine/manifests/latest")).status).toBe(401);
    const token = await pullToken("library/alpine");
    await (await registry("/v2/library/alpine/manifests/latest", token)).text();
    const blob = await registry(`/v2/library/alpine/blobs/${alpine.manifests[0]?.config.digest}`, token);
    await (await fetch(blob.headers.get("location") ?? "")).arrayBuffer();
    const seen = upstream.log().map((e) => [e.server, e.method, e.status, e.authorization]);
    expect(seen).toEqual([
      ["registry", "GET", 401, false],
      ["token", "GET", 200, false],
      ["registry", "GET", 200, true],
      ["registry", "GET", 307, true],
      ["cdn", "GET", 200, false],
    ]);
    expect(upstream.log()[1]?.path).toContain("scope=repository%3Alibrary%2Falpine%3Apull");
  });
});

describe.skipIf(skip)("with a real client", () => {
  test("skopeo copies every platform of library/multi through the CDN, verifying each digest", async () => {
    const target = join(WORK_DIR, "skopeo-multi");
    await run("rm", ["-rf", target]);
    upstream.resetLog();
    const source = `docker://${new URL(upstream.registryUrl).host}/library/multi:latest`;
    await run("skopeo", ["copy", "--all", "--src-tls-verify=false", source, `dir:${target}`]);
    // The dir: transport names each blob file after its digest's hex.
    for (const blob of blobsOf(upstream.images.multi)) {
      expect(sha256(await readFile(join(target, blob.digest.slice("sha256:".length))))).toBe(blob.digest);
    }
    const cdn = upstream.log().filter((entry) => entry.server === "cdn");
    expect(cdn).toHaveLength(blobsOf(upstream.images.multi).length);
    expect(cdn.every((entry) => entry.status === 200 && !entry.authorization)).toBe(true);
  });

  test("stop() ends the registry process and closes every port", async () => {
    const config = join(dirname(upstream.registryLogPath), "registry.yml");
    await upstream.stop();
    await expect(run("pgrep", ["-f", config])).rejects.toMatchObject({ code: 1 });
    await expect(fetch(`${upstream.registryUrl}/v2/`)).rejects.toThrow();
    await expect(fetch(upstream.realmUrl)).rejects.toThrow();
    await expect(fetch(upstream.cdnUrl)).rejects.toThrow();
    await expect(fetch(upstream.indexUrl)).rejects.toThrow();
  });
});
