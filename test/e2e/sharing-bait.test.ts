/**
 * The bait of #21, end to end through the running Worker and a real registry (distribution 2.8, accepting foreign
 * layers with `urls` as Docker Hub does): alice pulls her private image with her credentials, so its layer is cached;
 * an attacker publishes a public manifest that names that layer as a foreign layer, and fetches it anonymously
 * through the mirror. A client without credentials must then get no byte of the private layer, under any
 * repository name. Run with the Cache API alone and with R2 bound.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as skopeo from "./clients/skopeo";
import { requires, stackSkipReason } from "./support/prerequisites";
import { type Stack, startStack } from "./support/stack";

const skip = requires("the sharing bait suite", skopeo.skipReason(), stackSkipReason());
const BAIT = "attacker/bait";
const SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json";
const INDEX = "application/vnd.oci.image.index.v1+json";
const FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

interface Answer {
  status: number;
  xCache: string | undefined;
  body: Buffer;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

describe.skipIf(skip).each([
  ["the Cache API alone", false],
  ["the Cache API backed by R2", true],
])("with %s", (label, r2) => {
  let stack: Stack;
  let ca: Buffer;

  beforeAll(async () => {
    stack = await startStack(`sharing-bait-${r2 ? "r2" : "cache"}`, { r2, publicRepositories: [BAIT] });
    ca = await readFile(stack.caCertPath);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** One request to the Worker, body read whole. */
  function ask(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(`${stack.worker.origin}${path}`, { method, ca, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const header = res.headers["x-cache"];
          resolve({
            status: res.statusCode ?? 0,
            xCache: Array.isArray(header) ? header[0] : header,
            body: Buffer.concat(chunks),
          });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  }

  /** A token from the Worker's /token for pull on `repository`, as a client gets one (Basic for a user, else none). */
  async function tokenFor(repository: string, user?: { username: string; password: string }): Promise<string> {
    const query = new URLSearchParams({ service: stack.upstream.service, scope: `repository:${repository}:pull` });
    const headers: Record<string, string> = user
      ? { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}` }
      : {};
    const answer = await ask("GET", `/token?${query}`, headers);
    expect(answer.status).toBe(200);
    return (JSON.parse(answer.body.toString()) as { token: string }).token;
  }

  it(`${label}: after an anonymous fetch of a public manifest naming alice's private layer, nobody without credentials gets a byte of it`, async () => {
    const secret = stack.upstream.images.secret;
    const image = secret.manifests[0]!;
    const layer = image.layers[0]!;
    const tester = stack.upstream.users.tester;
    // alice pulls her private image through the mirror: its layer is now cached.
    await skopeo.copy({
      mirror: stack.worker.host,
      caCertPath: stack.caCertPath,
      workDir: stack.workDir,
      reference: `${secret.repository}:${secret.tag}`,
      creds: tester,
    });
    const alice = `Bearer ${await tokenFor(secret.repository, tester)}`;
    const layerPath = (repository: string) => `/v2/${repository}/blobs/${layer.digest}`;
    const deadline = Date.now() + 20_000;
    while ((await ask("HEAD", layerPath(secret.repository), { authorization: alice })).xCache !== "REVALIDATED") {
      if (Date.now() > deadline) throw new Error("alice's layer was not cached in time");
      await sleep(100);
    }

    // The attacker's public manifest: its own config, and alice's layer as a foreign layer the registry never holds.
    const config = Buffer.from(
      JSON.stringify({ architecture: "amd64", os: "linux", nonce: randomBytes(8).toString("hex") }),
    );
    const bait = JSON.stringify({
      schemaVersion: 2,
      mediaType: SCHEMA2,
      config: {
        mediaType: "application/vnd.docker.container.image.v1+json",
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        { mediaType: FOREIGN_LAYER, digest: layer.digest, size: layer.size, urls: ["https://downloads.example/l.tgz"] },
      ],
    });
    const pushed = await stack.upstream.pushRaw(BAIT, [config], {
      reference: "latest",
      mediaType: SCHEMA2,
      body: bait,
    });
    expect(pushed.status, pushed.text).toBe(201);
    // An index naming alice's manifest: distribution refuses it (its children must be in the repository); should it
    // take it, the manifest is checked below too.
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: [{ mediaType: image.mediaType, digest: image.digest, size: Buffer.byteLength(image.manifest) }],
    });
    const indexPushed = await stack.upstream.pushRaw(BAIT, [], { reference: "index", mediaType: INDEX, body: index });

    // One anonymous fetch of each through the mirror, as docker does it without logging in.
    const anonymous = `Bearer ${await tokenFor(BAIT)}`;
    const baitGet = await ask("GET", `/v2/${BAIT}/manifests/latest`, { authorization: anonymous, accept: SCHEMA2 });
    expect(baitGet.status).toBe(200);
    if (indexPushed.status === 201)
      await ask("GET", `/v2/${BAIT}/manifests/index`, { authorization: anonymous, accept: INDEX });
    await sleep(2000); // background work: stores, links, probes ahead

    const paths = [BAIT, "library/alpine", secret.repository].flatMap((name) => [
      layerPath(name),
      ...(indexPushed.status === 201 ? [`/v2/${name}/manifests/${image.digest}`] : []),
    ]);
    for (const path of paths) {
      const repository = path.split("/").slice(2, -2).join("/");
      for (const authorization of [`Bearer ${await tokenFor(repository)}`, undefined]) {
        for (const method of ["GET", "HEAD"]) {
          const answer = await ask(method, path, authorization ? { authorization } : {});
          expect([path, method, answer.status >= 400, answer.xCache]).toEqual([path, method, true, "MISS"]);
          if (answer.body.length > 0) expect(sha256(answer.body)).not.toBe(layer.digest);
        }
      }
    }
  });
});
