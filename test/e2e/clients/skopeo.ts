/**
 * skopeo (containers/image) against the registry under test. We trust the CA with a cert dir instead of
 * `--tls-verify=false`, which first tries HTTPS and, against a plain-HTTP port, stalls about 10 s before falling back.
 * The policy, registries.conf and registries.d are ours, so nothing from /etc changes what is pulled.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type BlobFiles,
  type ClientOptions,
  CONTAINERS_IMAGE_HOST_PATHS,
  type Credentials,
  makeCertDir,
  makeScratch,
  readStoredImages,
  removeDir,
  type StoredImage,
  sha256,
  trackNewPaths,
  verifyBlobDir,
} from "./common";
import { missingCommand, run } from "./process";

/** What to read from the registry. */
export interface SkopeoOptions extends ClientOptions {
  /** A repository with a tag or a digest: `library/alpine:latest`, `library/alpine@sha256:…`. */
  reference: string;
  creds?: Credentials;
  /** Picks this architecture from an index instead of the host's (`--override-arch`). */
  overrideArch?: string;
  /** Talks plain HTTP (`--tls-verify=false`) instead of trusting `caCertPath`: for the direct-upstream baseline. */
  plainHttp?: boolean;
}

/** The manifest exactly as the registry served it. */
export interface InspectResult {
  raw: Buffer;
  /** sha256 of the raw bytes. */
  digest: string;
  mediaType: string;
  ms: number;
}

/** How to copy. */
export interface CopyOptions extends SkopeoOptions {
  /** `dir` keeps every manifest byte for byte; `oci` converts Docker schema 2 manifests to OCI (new digests). */
  destination?: "dir" | "oci";
  /** Copies every image of an index (`--all`) instead of the one for this platform. */
  all?: boolean;
  /** `--retry-times`: how often skopeo retries a copy that failed in a way it considers transient. */
  retryTimes?: number;
}

/** What skopeo wrote, every blob hashed by us. */
export interface CopyResult {
  /** Digest of the top manifest stored: the index with `all`, otherwise the chosen image manifest. */
  digest: string;
  mediaType: string;
  images: StoredImage[];
  /** Every digest on disk (manifests, configs, layers), verified. */
  blobs: string[];
  ms: number;
}

const HEX = /^[0-9a-f]{64}$/;

/** Why skopeo cannot run here, or null. */
export function skipReason(): string | null {
  return missingCommand(["skopeo"]);
}

/** `skopeo inspect --raw`: the manifest (or index) bytes and their digest. */
export async function inspect(options: SkopeoOptions): Promise<InspectResult> {
  return withScratch(options, async (dir, global) => {
    const args = [...global, "inspect", "--raw", ...tlsArgs("", options, dir), ...credsArgs("", options.creds)];
    const result = await run(
      "skopeo",
      [...args, `docker://${options.mirror}/${options.reference}`],
      runOptions(options, dir),
    );
    const raw = result.stdout;
    return { raw, digest: sha256(raw), mediaType: mediaTypeOf(raw), ms: result.ms };
  });
}

/** `skopeo copy` to a local `dir:` or `oci:` layout, then hashes every file it wrote. */
export async function copy(options: CopyOptions): Promise<CopyResult> {
  return withScratch(options, async (dir, global) => {
    const format = options.destination ?? "dir";
    const target = join(dir, "image");
    const args = [
      ...global,
      "copy",
      ...tlsArgs("src-", options, dir),
      ...credsArgs("src-", options.creds),
      ...(options.all === true ? ["--all"] : []),
      ...(options.retryTimes !== undefined ? ["--retry-times", String(options.retryTimes)] : []),
      `docker://${options.mirror}/${options.reference}`,
      `${format}:${target}`,
    ];
    const result = await run("skopeo", args, runOptions(options, dir));
    const { digest, blobs } = format === "dir" ? await readDirLayout(target) : await readOciLayout(target);
    const images = await readStoredImages(digest, blobs);
    const mediaType = mediaTypeOf(await readFile(blobs.get(digest)!));
    return { digest, mediaType, images, blobs: [...blobs.keys()], ms: result.ms };
  });
}

/** Makes the scratch dir (certs, policy, empty registries.conf), runs `body`, and always removes the dir. */
async function withScratch<T>(options: SkopeoOptions, body: (dir: string, global: string[]) => Promise<T>): Promise<T> {
  const dir = await makeScratch(options.workDir, "skopeo");
  const removeHostPaths = trackNewPaths(CONTAINERS_IMAGE_HOST_PATHS);
  try {
    await makeCertDir(join(dir, "certs"), options.caCertPath);
    await mkdir(join(dir, "registries.d"));
    await mkdir(join(dir, "tmp"));
    await writeFile(join(dir, "policy.json"), JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
    await writeFile(join(dir, "registries.conf"), "");
    const global = [
      "--policy",
      join(dir, "policy.json"),
      "--registries.d",
      join(dir, "registries.d"),
      "--tmpdir",
      join(dir, "tmp"),
    ];
    if (options.overrideArch !== undefined) global.push("--override-arch", options.overrideArch);
    return await body(dir, global);
  } finally {
    await removeDir(dir);
    await removeHostPaths();
  }
}

function runOptions(options: SkopeoOptions, dir: string) {
  const env = {
    ...process.env,
    CONTAINERS_REGISTRIES_CONF: join(dir, "registries.conf"),
    REGISTRY_AUTH_FILE: join(dir, "auth.json"),
  };
  return { env, timeoutMs: options.timeoutMs };
}

/** Trust our CA, or (baseline only) talk plain HTTP. */
function tlsArgs(prefix: "" | "src-", options: SkopeoOptions, dir: string): string[] {
  return options.plainHttp === true ? [`--${prefix}tls-verify=false`] : [`--${prefix}cert-dir`, join(dir, "certs")];
}

/** Explicit credentials, or explicitly none, so no auth file of the host is used. */
function credsArgs(prefix: "" | "src-", creds: Credentials | undefined): string[] {
  if (creds === undefined) return [`--${prefix}no-creds`];
  return [`--${prefix}creds`, `${creds.username}:${creds.password}`];
}

/**
 * The `dir:` transport: `manifest.json` is the top manifest; blobs are named by their hex digest, and with `--all`
 * each image manifest is `<hex>.manifest.json`.
 */
async function readDirLayout(target: string): Promise<{ digest: string; blobs: BlobFiles }> {
  const blobs = await verifyBlobDir(target, (name) => {
    const hex = name.endsWith(".manifest.json") ? name.slice(0, -".manifest.json".length) : name;
    return HEX.test(hex) ? `sha256:${hex}` : undefined;
  });
  const manifestPath = join(target, "manifest.json");
  const digest = sha256(await readFile(manifestPath));
  blobs.set(digest, manifestPath);
  return { digest, blobs };
}

/** The `oci:` transport: everything under blobs/sha256, and index.json names the top manifest. */
async function readOciLayout(target: string): Promise<{ digest: string; blobs: BlobFiles }> {
  const blobs = await verifyBlobDir(join(target, "blobs", "sha256"), (name) =>
    HEX.test(name) ? `sha256:${name}` : undefined,
  );
  const index = JSON.parse(await readFile(join(target, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const digest = index.manifests[0]?.digest;
  if (digest === undefined) throw new Error(`skopeo wrote no manifest into ${target}/index.json`);
  return { digest, blobs };
}

function mediaTypeOf(raw: Buffer): string {
  return (JSON.parse(raw.toString("utf8")) as { mediaType?: string }).mediaType ?? "";
}
