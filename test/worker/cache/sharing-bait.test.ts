/**
 * A public manifest vouches for nothing but itself (#21). An attacker can publish a manifest that names any digest
 * (a foreign layer with `urls`, or an index naming a manifest of another repository): registries accept it without
 * holding the object. Fetching such a bait anonymously must not make a private object, cached from its owner's pull,
 * reachable without credentials, under any repository name. Both storage modes, against the strict fake registry.
 */
import { describe, expect, it } from "vitest";
import {
  ANONYMOUS,
  type FakeImage,
  fakeHub,
  HUB,
  type Identity,
  MANIFEST_TYPE,
  makeImage,
  type Pulled,
  requestAs,
  STORAGE_MODES,
  TESTER,
  uniqueName,
} from "../support/fake-registry";
import { digestOf } from "../support/fake-upstream";

const FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
const INDEX_TYPE = "application/vnd.oci.image.index.v1+json";

/** An image whose manifest is `body` (its own layer is random bytes the manifest may or may not name). */
async function imageWith(repository: string, tag: string, body: unknown): Promise<FakeImage> {
  const own = await makeImage(repository, tag);
  const manifest = JSON.stringify(body);
  return { ...own, manifest, digest: await digestOf(manifest) };
}

/** A public manifest naming `secret`'s layer as a foreign (non-distributable) layer, which the registry never holds. */
async function foreignLayerBait(repository: string, secret: FakeImage): Promise<FakeImage> {
  const own = await makeImage(repository, "latest");
  return imageWith(repository, "latest", {
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: own.layerDigest, size: own.layer.length },
    layers: [
      {
        mediaType: FOREIGN_LAYER,
        digest: secret.layerDigest,
        size: secret.layer.length,
        urls: ["https://downloads.example/layer.tar.gz"],
      },
    ],
  });
}

/** A public index naming `secret`'s manifest, which is not in the bait's repository. */
function indexBait(repository: string, secret: FakeImage): Promise<FakeImage> {
  return imageWith(repository, "latest", {
    schemaVersion: 2,
    mediaType: INDEX_TYPE,
    manifests: [
      {
        mediaType: MANIFEST_TYPE,
        digest: secret.digest,
        size: new TextEncoder().encode(secret.manifest).length,
        platform: { os: "linux", architecture: "amd64" },
      },
    ],
  });
}

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  const as = (who: Identity | undefined, path: string, method = "GET", vars: Record<string, unknown> = {}) =>
    requestAs(who, path, { method, vars: { ...bindings, ...vars } });

  /** Asks for `path` under each name, GET and HEAD, with an anonymous token and with none: `leaks` must stay false. */
  async function expectRefusedEverywhere(
    names: string[],
    pathOf: (name: string) => string,
    leaks: (a: Pulled) => boolean,
  ) {
    for (const name of names) {
      for (const method of ["GET", "HEAD"]) {
        for (const stranger of [ANONYMOUS, undefined]) {
          const path = pathOf(name);
          const answer = await as(stranger, path, method);
          expect([path, method, answer.status >= 400, answer.cache, leaks(answer)]).toEqual([
            path,
            method,
            true,
            "MISS",
            false,
          ]);
        }
      }
    }
  }

  /** The private image, pulled whole by its owner, and a public image elsewhere: the world every bait lands in. */
  async function world(bait: (secret: FakeImage) => Promise<FakeImage>) {
    const secret = await makeImage(`private/${uniqueName()}`, "1");
    const open = await makeImage(`library/${uniqueName()}`, "latest");
    const planted = await bait(secret);
    const hub = fakeHub({ images: [secret, open, planted] });
    for (const path of [
      `/v2/${secret.repository}/manifests/1`,
      `/v2/${secret.repository}/manifests/${secret.digest}`,
      `/v2/${secret.repository}/blobs/${secret.layerDigest}`,
    ]) {
      expect((await as(TESTER, path)).status).toBe(200);
    }
    // The bait, fetched as docker would fetch it without logging in: by tag, then by digest.
    for (const reference of ["latest", planted.digest]) {
      const fetched = await as(ANONYMOUS, `/v2/${planted.repository}/manifests/${reference}`);
      expect([reference, fetched.status]).toEqual([reference, 200]);
    }
    return { secret, open, planted, hub, names: [planted.repository, open.repository, secret.repository] };
  }

  it("a foreign layer named by a public manifest: no client without credentials gets the private layer, under any name", async () => {
    const { secret, names } = await world((s) => foreignLayerBait(`attacker/${uniqueName()}`, s));
    const layer = (answer: Pulled) =>
      answer.body.length > 0 && answer.body.every((byte, i) => byte === secret.layer[i]);
    await expectRefusedEverywhere(names, (name) => `/v2/${name}/blobs/${secret.layerDigest}`, layer);
  });

  it("an index naming a private manifest: no client without credentials gets that manifest, under any name", async () => {
    const { secret, names } = await world((s) => indexBait(`attacker/${uniqueName()}`, s));
    const manifest = (answer: Pulled) => answer.text.includes(secret.manifest);
    await expectRefusedEverywhere(names, (name) => `/v2/${name}/manifests/${secret.digest}`, manifest);
  });

  it("a bait's references are probed in its own repository once each, however often it is pulled", async () => {
    const { secret, planted, hub } = await world((s) => foreignLayerBait(`attacker/${uniqueName()}`, s));
    await as(ANONYMOUS, `/v2/${planted.repository}/manifests/latest`, "GET", { TAG_TTL_SECONDS: "0" });
    await as(ANONYMOUS, `/v2/${planted.repository}/manifests/${planted.digest}`);
    const probes = hub
      .to(HUB)
      .filter((r) => r.method === "HEAD" && r.url.pathname === `/v2/${planted.repository}/blobs/${secret.layerDigest}`);
    expect(probes.length).toBeLessThanOrEqual(1);
    expect(probes.every((r) => hub.identityOf(r) !== TESTER)).toBe(true);
  });

  it("a layer two public repositories hold is linked in the second by one probe ahead, then served with no request", async () => {
    const first = await makeImage(`library/${uniqueName()}`, "latest");
    const second = await makeImage(`library/${uniqueName()}`, "latest", first.layer);
    const hub = fakeHub({ images: [first, second] });
    await as(ANONYMOUS, `/v2/${first.repository}/manifests/latest`);
    await as(ANONYMOUS, `/v2/${first.repository}/blobs/${first.layerDigest}`);
    // The second repository's manifest names the layer the cache already holds: it is probed ahead in that repository.
    await as(ANONYMOUS, `/v2/${second.repository}/manifests/latest`);
    await as(ANONYMOUS, `/v2/${second.repository}/manifests/${second.digest}`);
    const probes = () =>
      hub
        .to(HUB)
        .filter(
          (r) => r.method === "HEAD" && r.url.pathname === `/v2/${second.repository}/blobs/${second.layerDigest}`,
        );
    expect(probes()).toHaveLength(1);
    const since = hub.mark();
    const layer = await as(ANONYMOUS, `/v2/${second.repository}/blobs/${second.layerDigest}`);
    expect([layer.status, layer.cache]).toEqual([200, "HIT"]);
    expect(layer.body).toEqual(second.layer);
    expect(since()).toEqual([]);
    expect(probes()).toHaveLength(1);
  });

  it("a public image pulls warm with no upstream request after one anonymous pull, which asked for one anonymous token at most", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "latest");
    const hub = fakeHub({ images: [image] });
    const pull = [
      `/v2/${image.repository}/manifests/latest`,
      `/v2/${image.repository}/manifests/${image.digest}`,
      `/v2/${image.repository}/blobs/${image.layerDigest}`,
    ];
    for (const path of pull) expect((await as(ANONYMOUS, path)).status).toBe(200);
    expect(hub.tokenRequests().length).toBeLessThanOrEqual(1);
    const since = hub.mark();
    for (const stranger of [ANONYMOUS, undefined]) {
      for (const path of pull) expect([path, (await as(stranger, path)).cache]).toEqual([path, "HIT"]);
    }
    expect(since()).toEqual([]);
  });
});
