/**
 * What the runners share: their options, scratch directories, and reading back what a client stored, hashing every
 * blob ourselves so a test compares digests of bytes on disk rather than what the client says it fetched.
 * https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md#digests
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ClientError, run } from "./process";

/** What every runner needs to reach the registry under test. */
export interface ClientOptions {
  /** `host:port` of the registry or mirror, the way clients name it, e.g. `127.0.0.1:16000`. */
  mirror: string;
  /** PEM file of the CA that signed the mirror's certificate (a self-signed certificate is its own CA). */
  caCertPath: string;
  /** Where the runner makes its scratch directory; that directory is removed again when the call ends. */
  workDir: string;
  /** Bound on each client command; defaults to DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** A username and password for the registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** The os/architecture of an image manifest in an index. */
export interface Platform {
  os: string;
  architecture: string;
}

/** One image manifest a client stored, with the blobs it refers to. */
export interface StoredImage {
  digest: string;
  /** From the index entry, when the image came from an index. */
  platform?: Platform | undefined;
  configDigest: string;
  /** Compressed layer digests, in manifest order. */
  layerDigests: string[];
  /** Uncompressed layer digests, from the stored config's `rootfs.diff_ids`. */
  diffIds: string[];
}

/** The parts of a manifest or index the runners look at. */
interface ParsedManifest {
  mediaType: string;
  config?: string | undefined;
  layers: string[];
  manifests: { digest: string; platform?: Platform | undefined }[];
}

/** Verified blobs a client stored: digest to the file that holds it. */
export type BlobFiles = Map<string, string>;

/** The sha256 digest (`sha256:<hex>`) of some bytes. */
export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The sha256 digest of a file, streamed so large layers are fine. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest("hex")}`;
}

/** Makes a fresh scratch directory under `parent`. */
export async function makeScratch(parent: string, prefix: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, `${prefix}-`));
}

/** Makes a short directory under the system temp dir, for unix sockets (their paths must fit in 107 bytes). */
export function makeSocketDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

/** Removes a directory tree, ignoring one that is already gone. */
export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Lazily unmounts anything still mounted at or under `path`, deepest first. dockerd bind-mounts its data root onto
 * itself while it runs and undoes that only on a clean shutdown; this is for a daemon that had to be killed.
 */
export async function unmountUnder(path: string): Promise<void> {
  const mountInfo = await readFile("/proc/self/mountinfo", "utf8");
  // Field 5 is the mount point, with spaces and the like written as octal escapes.
  const points = mountInfo
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === path || point.startsWith(`${path}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await run("umount", ["--lazy", point], { timeoutMs: 10_000 }).catch(() => undefined);
}

/**
 * Makes `dir` hold only `ca.crt`, a copy of the CA. containers/image reads every *.crt in a cert dir as a CA but
 * also pairs each *.key with a *.cert, so pointing it at a folder that holds the server's key as well would fail.
 */
export async function makeCertDir(dir: string, caCertPath: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await copyFile(caCertPath, join(dir, "ca.crt"));
  return dir;
}

/**
 * Hashes every file of a content-addressed folder and fails on any whose name disagrees with its bytes.
 * `digestOf` maps a file name to the digest it claims, or undefined for files that are not blobs.
 */
export async function verifyBlobDir(dir: string, digestOf: (name: string) => string | undefined): Promise<BlobFiles> {
  const blobs: BlobFiles = new Map();
  for (const name of await readdir(dir)) {
    const claimed = digestOf(name);
    if (claimed === undefined) continue;
    const actual = await sha256File(join(dir, name));
    if (actual !== claimed)
      throw new ClientError(`${join(dir, name)} should hash to ${claimed} but hashes to ${actual}`);
    blobs.set(claimed, join(dir, name));
  }
  return blobs;
}

/** Parses a manifest or index, keeping the digests it refers to. */
export function parseManifest(bytes: Buffer): ParsedManifest {
  const json = JSON.parse(bytes.toString("utf8")) as {
    mediaType?: string;
    config?: { digest: string };
    layers?: { digest: string }[];
    manifests?: { digest: string; platform?: Platform }[];
  };
  return {
    mediaType: json.mediaType ?? (json.manifests === undefined ? "" : "application/vnd.oci.image.index.v1+json"),
    config: json.config?.digest,
    layers: (json.layers ?? []).map((layer) => layer.digest),
    manifests: (json.manifests ?? []).map(({ digest, platform }) => ({ digest, platform })),
  };
}

/**
 * Walks from the top manifest through what the client stored: every image manifest found (all children of an
 * index that were stored; a single-platform pull stores one) with its config's diff IDs. A stored image manifest
 * whose config or layers are missing is an error, so a half-finished pull cannot pass.
 */
export async function readStoredImages(topDigest: string, blobs: BlobFiles): Promise<StoredImage[]> {
  const parsed = parseManifest(await readBlob(blobs, topDigest, "the top manifest"));
  if (parsed.manifests.length === 0) return [await readImage(topDigest, parsed, blobs)];
  const images: StoredImage[] = [];
  for (const child of parsed.manifests) {
    if (!blobs.has(child.digest)) continue;
    const manifest = parseManifest(await readBlob(blobs, child.digest, `manifest listed in ${topDigest}`));
    images.push({ ...(await readImage(child.digest, manifest, blobs)), platform: child.platform });
  }
  if (images.length === 0) throw new ClientError(`none of the manifests listed in ${topDigest} was stored`);
  return images;
}

async function readImage(digest: string, manifest: ParsedManifest, blobs: BlobFiles): Promise<StoredImage> {
  if (manifest.config === undefined) throw new ClientError(`manifest ${digest} has no config`);
  const config = JSON.parse((await readBlob(blobs, manifest.config, `config of ${digest}`)).toString("utf8")) as {
    rootfs?: { diff_ids?: string[] };
  };
  const missing = manifest.layers.find((layer) => !blobs.has(layer));
  if (missing !== undefined) throw new ClientError(`layer ${missing} of ${digest} was not stored`);
  return {
    digest,
    configDigest: manifest.config,
    layerDigests: manifest.layers,
    diffIds: config.rootfs?.diff_ids ?? [],
  };
}

async function readBlob(blobs: BlobFiles, digest: string, what: string): Promise<Buffer> {
  const path = blobs.get(digest);
  if (path === undefined) throw new ClientError(`${what} (${digest}) was not stored`);
  return readFile(path);
}

/**
 * Where containers/image (skopeo, podman) writes as root whatever its flags say: the blob info cache, a record of
 * which registry had which blob, that only speeds up later copies.
 */
export const CONTAINERS_IMAGE_HOST_PATHS = ["/var/lib/containers"];

/**
 * Notes which of these host paths do not exist yet, and returns a function that removes exactly those again.
 * For the few paths a daemon insists on creating outside the directories we give it.
 */
export function trackNewPaths(paths: string[]): () => Promise<void> {
  const created = paths.filter((path) => !existsSync(path));
  return async () => {
    for (const path of created) await removeDir(path);
  };
}
