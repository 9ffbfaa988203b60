/**
 * The chain of upstreams (#23): the Docker Hub imitation answers 429 to every anonymous manifest GET (as Docker Hub
 * does once an IP's quota is spent; its HEADs are not counted), no owner credentials are set, and the `docker`
 * route's one fallback is a registry like mirror.gcr.io: the same images, behind a token service of its own. Every
 * client pulls through it with the Hub's digests, and the fallback sees no credentials but its own tokens. A fallback
 * that answers other bytes for a digest is refused and nothing is cached; when every member refuses, 429.
 * One small image per client, so each pull asks the fallback for a manifest the cache does not hold yet.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as containerd from "./clients/containerd";
import * as dockerd from "./clients/dockerd";
import * as podman from "./clients/podman";
import * as skopeo from "./clients/skopeo";
import { containerdForSuite } from "./support/containerd-suite";
import { expectSameImage, manifestFor } from "./support/expect-image";
import { requires, stackSkipReason } from "./support/prerequisites";
import { type Stack, startStack, workerRequests } from "./support/stack";
import type { Upstream } from "./upstream";

const skips = {
  skopeo: requires("pulls through a fallback with skopeo", skopeo.skipReason(), stackSkipReason()),
  podman: requires("pulls through a fallback with podman", podman.skipReason(), stackSkipReason()),
  containerd: requires("pulls through a fallback with containerd", containerd.skipReason(), stackSkipReason()),
  dockerd: requires("pulls through a fallback with dockerd", dockerd.skipReason(), stackSkipReason()),
};
const ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");
const MANIFEST_PATH = /\/manifests\//;

let stack: Stack;
let fallback: Upstream;
let outputMark = 0;
const client = () => ({ mirror: stack.worker.host, caCertPath: stack.caCertPath, workDir: stack.workDir });

beforeAll(async () => {
  if (Object.values(skips).every((reason) => reason !== null)) return;
  stack = await startStack("fallbacks", { fallback: true });
  fallback = stack.fallback!;
  hubOutOfQuota();
});

/** Docker Hub once an IP's quota is spent: every anonymous manifest GET is refused, HEADs are not counted. */
function hubOutOfQuota(): void {
  stack.upstream.faults.set({
    server: "registry",
    fault: "status-429",
    path: MANIFEST_PATH,
    method: "GET",
    anonymous: true,
  });
}
beforeEach(() => {
  if (stack === undefined) return;
  stack.upstream.resetLog();
  fallback.resetLog();
  fallback.faults.clear();
  outputMark = stack.worker.output().length;
});
afterAll(async () => {
  await stack?.stop();
});

/** The pull just made was refused by the Hub and answered by the fallback, which saw only its own anonymous tokens. */
function expectServedByFallback(): void {
  const refusedByHub = stack.upstream
    .log()
    .filter((e) => e.server === "registry" && e.method === "GET" && MANIFEST_PATH.test(e.path));
  expect(refusedByHub.length).toBeGreaterThan(0);
  expect(refusedByHub.every((e) => e.status === 429)).toBe(true);
  const log = fallback.log();
  const served = log.filter((e) => e.server === "registry" && e.method === "GET" && MANIFEST_PATH.test(e.path));
  expect(served.some((e) => e.status === 200)).toBe(true);
  // No Authorization but the fallback's own tokens (no owner's, no client's, no Hub token), and no login at all.
  expect(log.filter((e) => e.credential !== undefined && e.credential !== `bearer ${fallback.issuer}`)).toEqual([]);
  expect(log.filter((e) => e.login !== undefined)).toEqual([]);
  expect(log.filter((e) => e.server === "cdn" && e.authorization)).toEqual([]);
  const host = new URL(fallback.registryUrl).host;
  expect(workerRequests(stack, outputMark).some((r) => r.fallback === host)).toBe(true);
}

/** A GET straight at the Worker (trusting its certificate), body read whole. */
async function get(path: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const ca = await readFile(stack.caCertPath);
  return new Promise((resolve, reject) => {
    const req = request(`${stack.worker.origin}${path}`, { ca, headers: { accept: ACCEPT } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe.skipIf(skips.skopeo)("skopeo", () => {
  it("copies alpine while the Hub refuses every manifest GET: the fallback answers, every blob verified", async () => {
    const pushed = stack.upstream.images.alpine;
    const result = await skopeo.copy({ ...client(), reference: "alpine:latest" });
    expect(result.digest).toBe(pushed.digest);
    expectSameImage(result.images[0]!, manifestFor(pushed));
    expectServedByFallback();
  });
});

describe.skipIf(skips.podman)("podman", () => {
  it("pulls bitnami/redis:7 through a registries.conf mirror, from the fallback", async () => {
    const pushed = stack.upstream.images.redis;
    const result = await podman.pull({ ...client(), reference: "docker.io/bitnami/redis:7" });
    expect(result.digest).toBe(pushed.digest);
    expect(result.diffIds).toEqual(manifestFor(pushed).layers.map((l) => l.diffId));
    expectServedByFallback();
  });
});

describe.skipIf(skips.containerd)("containerd", () => {
  const daemon = containerdForSuite(() => stack.workDir);

  it("pulls arm64 out of library/multi through hosts.toml, from the fallback", async () => {
    const pushed = stack.upstream.images.multi;
    const result = await containerd.pullWith(daemon(), {
      ...client(),
      reference: "docker.io/library/multi:latest",
      platform: "linux/arm64",
    });
    expect(result.digest).toBe(pushed.digest);
    expectSameImage(
      result.images.find((image) => image.platform?.architecture === "arm64")!,
      manifestFor(pushed, "arm64"),
    );
    expectServedByFallback();
  });
});

describe.skipIf(skips.dockerd)("dockerd", () => {
  it("docker pull library/multi gets this platform's manifest by digest from the fallback, hashed", async () => {
    const pushed = stack.upstream.images.multi;
    const arch = process.arch === "arm64" ? "arm64" : "amd64";
    const result = await dockerd.pull({ ...client(), reference: `${stack.worker.host}/library/multi:latest` });
    expect(result.digest).toBe(pushed.digest);
    expect(result.configDigest).toBe(manifestFor(pushed, arch).config.digest);
    expectServedByFallback();
  });
});

describe.skipIf(skips.skopeo)("what a fallback may answer", () => {
  /** library/large's manifest by digest: pulled by no test here, so not cached. */
  const large = () => stack.upstream.images.large;
  const path = () => `/v2/library/large/manifests/${large().digest}`;

  it("when the Hub and every fallback refuse, the client gets 429 with Retry-After", async () => {
    fallback.faults.set({ server: "registry", fault: "status-429", path: MANIFEST_PATH });
    const response = await get(path());
    expect(response.status).toBe(429);
    expect(response.headers["retry-after"]).toBe("1");
    expect(JSON.parse(response.body.toString()).errors[0].code).toBe("TOOMANYREQUESTS");
  });

  it("a fallback that answers other bytes for a digest is refused (502), and nothing is cached", async () => {
    fallback.faults.set({ server: "registry", fault: "wrong-bytes", path: MANIFEST_PATH });
    const refused = await get(path());
    expect(refused.status).toBe(502);
    expect(refused.body.toString()).toContain("did not answer");
    fallback.faults.clear();
    const answered = await get(path());
    expect(answered.status).toBe(200);
    expect(answered.headers["x-cache"]).toBe("MISS"); // the wrong bytes were not kept
    expect(answered.headers["x-edgehub-upstream"]).toBe(new URL(fallback.registryUrl).host);
    expect(`sha256:${createHash("sha256").update(answered.body).digest("hex")}`).toBe(large().digest);
    const asked = fallback.log().filter((e) => e.server === "registry" && e.path === path());
    expect(asked.map((e) => e.status)).toEqual([200, 200]);
  });
});

describe.skipIf(skips.skopeo)("when the Hub's token service refuses anonymous clients", () => {
  it("skopeo gets the Worker's placeholder token and copies library/large:latest from the fallback", async () => {
    // Its tag is asked by no other test here (they ask its manifest by digest), so the pull goes upstream.
    stack.upstream.faults.set({ server: "token", fault: "status-429", anonymous: true });
    try {
      const pushed = stack.upstream.images.large;
      const result = await skopeo.copy({ ...client(), reference: "library/large:latest" });
      expect(result.digest).toBe(pushed.digest);
      expectSameImage(result.images[0]!, manifestFor(pushed));
      const tokens = stack.upstream.log().filter((e) => e.server === "token");
      expect(tokens.length).toBeGreaterThan(0);
      expect(tokens.every((e) => e.status === 429)).toBe(true);
      // The placeholder (no token anyone issued: logged as a bare "bearer") reached neither the Hub nor the fallback.
      for (const entry of [...stack.upstream.log(), ...fallback.log()]) expect(entry.credential).not.toBe("bearer");
      const host = new URL(fallback.registryUrl).host;
      expect(workerRequests(stack, outputMark).some((r) => r.fallback === host)).toBe(true);
    } finally {
      stack.upstream.faults.clear();
      hubOutOfQuota();
    }
  });
});
