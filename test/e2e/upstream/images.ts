/**
 * The fixture images, built offline into a content-addressed cache and described exactly, so the suite can check
 * every manifest and blob a client pulled. Docker schema 2 types for the single-platform images, OCI types for the
 * multi-platform index, so both families are covered.
 * https://github.com/opencontainers/image-spec/blob/v1.1.0/manifest.md and .../image-index.md
 */
import { createCipheriv, createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BlobStore, type StoredBlob } from "./blob-store";
import { dir, file, type TarEntry } from "./tar";

/** The names the suite uses for the Docker Hub imitation's fixture images. */
export type FixtureName = "alpine" | "multi" | "redis" | "secret" | "large";
/** The names of the second registry's (the ghcr.io imitation's) fixtures: a public multi-layer image and a private one. */
export type SecondFixtureName = "tool" | "secret";

/** The os/architecture pair of an image manifest. */
export interface Platform {
  os: string;
  architecture: string;
}

/** A blob as a manifest refers to it. */
export interface Blob {
  digest: string;
  size: number;
  mediaType: string;
}

/** A layer blob plus the sha256 of its uncompressed tar, as listed in the config's `rootfs.diff_ids`. */
export interface Layer extends Blob {
  diffId: string;
}

/** One image manifest, its exact bytes and what it points to. */
export interface ImageManifest {
  digest: string;
  mediaType: string;
  /** The manifest exactly as pushed (its sha256 is the digest). */
  manifest: string;
  platform: Platform;
  config: Blob;
  layers: Layer[];
}

/** A pushed image: the manifest (or index) under its tag, and the image manifests it stands for. */
export interface FixtureImage {
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  manifest: string;
  /** One entry for a plain image (the tagged manifest itself); one per platform for an index. */
  manifests: ImageManifest[];
}

/** Every fixture image by name. */
export type Fixtures = Record<FixtureName, FixtureImage>;
/** The second registry's fixtures by name. */
export type SecondFixtures = Record<SecondFixtureName, FixtureImage>;

/** Media types of one manifest family. */
interface Family {
  top: string;
  manifest: string;
  config: string;
  layer: string;
}

const DOCKER: Family = {
  top: "application/vnd.docker.distribution.manifest.list.v2+json",
  manifest: "application/vnd.docker.distribution.manifest.v2+json",
  config: "application/vnd.docker.container.image.v1+json",
  layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

const OCI: Family = {
  top: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
};

/** How to build one fixture. A recipe with one platform and `index: false` is a plain image. */
interface Recipe<N extends string> {
  name: N;
  repository: string;
  tag: string;
  family: Family;
  index: boolean;
  platforms: { platform: Platform; layers: TarEntry[][] }[];
}

/** Bump when a recipe changes, so cached builds are redone. */
const BUILD_VERSION = 1;
const MIB = 1024 * 1024;
const LARGE_LAYERS = 4;

/**
 * Builds the fixtures into `cacheDir`, or reuses an earlier build there with the same recipe and size. Builds of
 * several sizes share the directory, since blobs are content-addressed and each size has its own description.
 */
export async function buildImages(cacheDir: string, largeMb: number): Promise<Fixtures> {
  return buildSet(cacheDir, `images-${largeMb}mb.json`, recipes(largeMb));
}

/** The second registry's fixtures, built or reused like buildImages'. */
export async function buildSecondImages(cacheDir: string): Promise<SecondFixtures> {
  return buildSet(cacheDir, "images-second.json", secondRecipes());
}

async function buildSet<N extends string>(
  cacheDir: string,
  indexName: string,
  set: Recipe<N>[],
): Promise<Record<N, FixtureImage>> {
  const store = new BlobStore(cacheDir);
  const indexPath = join(cacheDir, indexName);
  const cached = await readCache<N>(indexPath, store);
  if (cached !== undefined) return cached;
  const built = await Promise.all(set.map((recipe) => buildImage(store, recipe)));
  const images = Object.fromEntries(built) as Record<N, FixtureImage>;
  // Written aside and renamed, so a concurrent or interrupted run never reads half a description.
  const temp = `${indexPath}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify({ version: BUILD_VERSION, images }, null, 2));
  await rename(temp, indexPath);
  return images;
}

/** Every blob (configs and layers) of an image, across its platforms. */
export function blobsOf(image: FixtureImage): Blob[] {
  return image.manifests.flatMap((m) => [m.config, ...m.layers]);
}

/** Where the cached copy of a blob lives. */
export function blobPath(cacheDir: string, digest: string): string {
  return new BlobStore(cacheDir).path(digest);
}

async function readCache<N extends string>(
  path: string,
  store: BlobStore,
): Promise<Record<N, FixtureImage> | undefined> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const cache = JSON.parse(text) as { version: number; images: Record<N, FixtureImage> };
  if (cache.version !== BUILD_VERSION) return undefined;
  const digests = Object.values<FixtureImage>(cache.images).flatMap((image) => blobsOf(image).map((b) => b.digest));
  return (await store.has(digests)) ? cache.images : undefined;
}

async function buildImage<N extends string>(store: BlobStore, recipe: Recipe<N>): Promise<[N, FixtureImage]> {
  const manifests = await Promise.all(
    recipe.platforms.map(({ platform, layers }) => buildManifest(store, recipe.family, platform, layers)),
  );
  const base = { repository: recipe.repository, tag: recipe.tag, manifests };
  const [only] = manifests;
  if (!recipe.index && only !== undefined) {
    return [recipe.name, { ...base, digest: only.digest, mediaType: only.mediaType, manifest: only.manifest }];
  }
  const index = serialize({
    schemaVersion: 2,
    mediaType: recipe.family.top,
    manifests: manifests.map((m) => ({ ...describe(m.mediaType, m.manifest), platform: m.platform })),
  });
  return [recipe.name, { ...base, digest: sha256(index), mediaType: recipe.family.top, manifest: index }];
}

async function buildManifest(
  store: BlobStore,
  family: Family,
  platform: Platform,
  layerEntries: TarEntry[][],
): Promise<ImageManifest> {
  const layers = await Promise.all(
    layerEntries.map(async (entries) => ({
      ...(await store.writeLayer(entries, deflateLevel(entries))),
      mediaType: family.layer,
    })),
  );
  const config = withType(await store.writeBytes(Buffer.from(imageConfig(platform, layers))), family.config);
  const manifest = serialize({
    schemaVersion: 2,
    mediaType: family.manifest,
    config: descriptor(config),
    layers: layers.map(descriptor),
  });
  return { digest: sha256(manifest), mediaType: family.manifest, manifest, platform, config, layers };
}

/** The image configuration clients unpack against: diff_ids must match the uncompressed layers, in order. */
function imageConfig(platform: Platform, layers: Layer[]): string {
  const created = "2024-01-01T00:00:00Z";
  return serialize({
    ...platform,
    created,
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/hello"] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created, created_by: "edgehub e2e fixture" })),
  });
}

/** A single-platform image for this host. */
function plain<N extends string>(
  name: N,
  repository: string,
  tag: string,
  layers: TarEntry[][],
  family = DOCKER,
): Recipe<N> {
  const host: Platform = { os: "linux", architecture: hostArchitecture() };
  return { name, repository, tag, family, index: false, platforms: [{ platform: host, layers }] };
}

/**
 * Like ghcr.io's: OCI manifests, an owner namespace, no `library/`. The public image has three layers, so a pull
 * through the mirror makes several blob requests with one token; the private one is only for its registry's tester.
 */
function secondRecipes(): Recipe<SecondFixtureName>[] {
  return [
    plain(
      "tool",
      "acme/tool",
      "1.0",
      [
        [dir("etc"), file("etc/tool-release", "acme tool 1.0 (edgehub ghcr fixture)\n")],
        [dir("bin"), file("bin/tool", "#!/bin/sh\necho hello from the ghcr fixture\n", 0o755)],
        [dir("share"), file("share/README", "three layers, OCI media types\n")],
      ],
      OCI,
    ),
    plain(
      "secret",
      "acme/private-tool",
      "1.0",
      [[file("secret.txt", "only the ghcr tester may read this\n", 0o600)]],
      OCI,
    ),
  ];
}

function recipes(largeMb: number): Recipe<FixtureName>[] {
  const perLayer = Math.max(1, Math.floor((largeMb * MIB) / LARGE_LAYERS));
  const part = (i: number): TarEntry => ({
    kind: "file",
    path: `data/part-${i}.bin`,
    mode: 0o644,
    size: perLayer,
    body: noise(`large/${i}`, perLayer),
  });
  return [
    plain("alpine", "library/alpine", "latest", [
      [dir("etc"), file("etc/os-release", 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.99.0\n')],
      [dir("bin"), file("bin/hello", "#!/bin/sh\necho hello from the edgehub fixture\n", 0o755)],
    ]),
    plain("redis", "bitnami/redis", "7", [
      [dir("opt"), dir("opt/bitnami"), file("opt/bitnami/VERSION", "redis 7.0.0 (edgehub fixture)\n")],
    ]),
    plain("secret", "private/secret", "1", [[file("secret.txt", "only the tester may read this\n", 0o600)]]),
    plain(
      "large",
      "library/large",
      "latest",
      Array.from({ length: LARGE_LAYERS }, (_, i) => [dir("data"), part(i)]),
    ),
    {
      name: "multi",
      repository: "library/multi",
      tag: "latest",
      family: OCI,
      index: true,
      platforms: ["amd64", "arm64"].map((architecture) => ({
        platform: { os: "linux", architecture },
        layers: [[dir("etc"), file("etc/arch", `${architecture}\n`)]],
      })),
    },
  ];
}

/** Incompressible but reproducible bytes: AES-CTR keystream from a seed, at memory speed. */
async function* noise(seed: string, size: number): AsyncGenerator<Buffer> {
  const cipher = createCipheriv("aes-256-ctr", createHash("sha256").update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(MIB);
  for (let left = size; left > 0; left -= MIB) yield cipher.update(zeros.subarray(0, Math.min(left, MIB)));
}

/**
 * Streamed bodies are the random fixtures: deflate cannot shrink them, so store them (level 0 is still valid gzip and
 * an order of magnitude faster than level 1). Small text layers compress normally.
 */
function deflateLevel(entries: TarEntry[]): number {
  return entries.some((e) => e.kind === "file" && !Buffer.isBuffer(e.body)) ? 0 : 6;
}

/** Clients pick the manifest for the machine they run on, so single-platform fixtures match the host. */
function hostArchitecture(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

function descriptor(blob: Blob): Blob {
  return { mediaType: blob.mediaType, size: blob.size, digest: blob.digest };
}

function describe(mediaType: string, content: string): Blob {
  return { mediaType, size: Buffer.byteLength(content), digest: sha256(content) };
}

function withType(blob: StoredBlob, mediaType: string): Blob {
  return { ...blob, mediaType };
}

function serialize(value: unknown): string {
  return JSON.stringify(value, null, 3);
}

function sha256(content: string): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}
