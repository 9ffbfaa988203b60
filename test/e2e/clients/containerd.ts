/**
 * containerd and `ctr images pull` through a hosts.toml mirror. containerd runs with its own root, state and
 * socket, the snapshotters that need kernel support disabled, and the native snapshotter (plain copies, no
 * overlay mounts). Mirror requests carry `?ns=<registry>`; the CA is trusted with the host's `ca` setting.
 * https://github.com/containerd/containerd/blob/v1.6.20/docs/hosts.md
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type BlobFiles,
  type ClientOptions,
  type Credentials,
  makeScratch,
  makeSocketDir,
  readStoredImages,
  removeDir,
  type StoredImage,
  unmountUnder,
  verifyBlobDir,
} from "./common";
import { ClientError, type Daemon, missingCommand, needsRoot, run, startDaemon } from "./process";

/** A running containerd. */
export interface Containerd {
  /** The gRPC socket, for `ctr --address` or `dockerd --containerd`. */
  address: string;
  /** Where the content store and snapshots live. */
  root: string;
  log(): string;
  /** Stops the daemon (its whole process group) and removes its directories. */
  stop(): Promise<void>;
}

/** What to pull, and how the mirror is set up in hosts.toml. */
export interface ContainerdPullOptions extends ClientOptions {
  /** Defaults to `docker.io/library/alpine:latest`. */
  reference?: string;
  /** The hosts.toml folder: a registry host (`docker.io`, default) or `_default` for every other registry. */
  hostsNamespace?: string;
  /** A path after the mirror's host for the path-prefix form (`docker.io` → `/v2/docker.io/library/…`). */
  mirrorPath?: string;
  creds?: Credentials;
  /** `--platform`, e.g. `linux/arm64`. */
  platform?: string;
  /** `--all-platforms`: fetch every image of an index. */
  allPlatforms?: boolean;
}

/** What containerd stored for the pull, every blob hashed by us. */
export interface ContainerdPullResult {
  /** The digest the image record points at (the index for a multi-platform image). */
  digest: string;
  mediaType: string;
  images: StoredImage[];
  /** Every digest in the pull's namespace of the content store, verified. */
  blobs: string[];
  ms: number;
}

const CONTENT = "io.containerd.content.v1.content";
let pulls = 0;

/** Why containerd cannot run here, or null. */
export function skipReason(): string | null {
  return missingCommand(["containerd", "ctr"]) ?? needsRoot("containerd");
}

/** Starts containerd in scratch directories and waits until it answers. */
export async function startContainerd(options: { workDir: string; timeoutMs?: number }): Promise<Containerd> {
  const dir = await makeScratch(options.workDir, "containerd");
  const socketDir = await makeSocketDir("ehctd");
  const address = join(socketDir, "containerd.sock");
  const configPath = join(dir, "config.toml");
  await writeFile(configPath, daemonConfig(dir, address));
  const cleanup = async (): Promise<void> => {
    await unmountUnder(dir);
    await removeDir(dir);
    await removeDir(socketDir);
  };
  let daemon: Daemon;
  try {
    daemon = await startDaemon("containerd", ["--config", configPath], {
      ready: async () => (await run("ctr", ["--address", address, "version"], { timeoutMs: 5_000 }), true),
      timeoutMs: options.timeoutMs ?? 60_000,
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    address,
    root: join(dir, "root"),
    log: () => daemon.log(),
    stop: async () => {
      await daemon.stop();
      await cleanup();
    },
  };
}

/**
 * The daemon's config. Content is isolated per namespace, so each pull in its own namespace downloads everything
 * again instead of reusing blobs an earlier pull left in the shared store.
 */
function daemonConfig(dir: string, address: string): string {
  const disabled = ["cri", "aufs", "btrfs", "zfs", "devmapper", "overlayfs"].map((name) =>
    name === "cri" ? "io.containerd.grpc.v1.cri" : `io.containerd.snapshotter.v1.${name}`,
  );
  return [
    "version = 2",
    `root = ${JSON.stringify(join(dir, "root"))}`,
    `state = ${JSON.stringify(join(dir, "state"))}`,
    `disabled_plugins = ${JSON.stringify(disabled)}`,
    "[grpc]",
    `  address = ${JSON.stringify(address)}`,
    // The default /opt/containerd would otherwise be created on the host.
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${JSON.stringify(join(dir, "opt"))}`,
    '[plugins."io.containerd.metadata.v1.bolt"]',
    '  content_sharing_policy = "isolated"',
    "",
  ].join("\n");
}

/** Starts containerd, pulls once, and stops it again. */
export async function pull(options: ContainerdPullOptions): Promise<ContainerdPullResult> {
  const daemon = await startContainerd(options);
  try {
    return await pullWith(daemon, options);
  } finally {
    await daemon.stop();
  }
}

/** Pulls into a fresh namespace of a running containerd and reads back what it stored. */
export async function pullWith(daemon: Containerd, options: ContainerdPullOptions): Promise<ContainerdPullResult> {
  const dir = await makeScratch(options.workDir, "ctr");
  try {
    const hostsDir = join(dir, "hosts");
    await writeHostsToml(hostsDir, options);
    const reference = options.reference ?? "docker.io/library/alpine:latest";
    const ctr = ["--address", daemon.address, "--namespace", `edgehub-${++pulls}`];
    const args = [
      ...ctr,
      "images",
      "pull",
      "--hosts-dir",
      hostsDir,
      "--snapshotter",
      "native",
      ...pullFlags(options),
      reference,
    ];
    const pulled = await run("ctr", args, { timeoutMs: options.timeoutMs });
    const digest = await imageDigest(ctr, reference, options.timeoutMs);
    const blobs = await storedBlobs(daemon, ctr, options.timeoutMs);
    const images = await readStoredImages(digest.digest, blobs);
    return { ...digest, images, blobs: [...blobs.keys()], ms: pulled.ms };
  } finally {
    await removeDir(dir);
  }
}

function pullFlags(options: ContainerdPullOptions): string[] {
  const flags: string[] = [];
  if (options.creds !== undefined) flags.push("--user", `${options.creds.username}:${options.creds.password}`);
  if (options.platform !== undefined) flags.push("--platform", options.platform);
  if (options.allPlatforms === true) flags.push("--all-platforms");
  return flags;
}

/** `<hostsDir>/<namespace>/hosts.toml`: the mirror first; for docker.io the real server stays as the fallback. */
async function writeHostsToml(hostsDir: string, options: ContainerdPullOptions): Promise<void> {
  const namespace = options.hostsNamespace ?? "docker.io";
  const url =
    options.mirrorPath === undefined
      ? `https://${options.mirror}`
      : `https://${options.mirror}/v2/${options.mirrorPath}`;
  const lines = [
    ...(namespace === "docker.io" ? ['server = "https://registry-1.docker.io"'] : []),
    `[host.${JSON.stringify(url)}]`,
    '  capabilities = ["pull", "resolve"]',
    `  ca = ${JSON.stringify(options.caCertPath)}`,
    // With a path in the host URL, override_path stops containerd from appending another /v2.
    ...(options.mirrorPath === undefined ? [] : ["  override_path = true"]),
    "",
  ];
  await mkdir(join(hostsDir, namespace), { recursive: true });
  await writeFile(join(hostsDir, namespace, "hosts.toml"), lines.join("\n"));
}

/** The image record's target, from `ctr images ls` (columns: REF TYPE DIGEST SIZE PLATFORMS LABELS). */
async function imageDigest(
  ctr: string[],
  reference: string,
  timeoutMs?: number,
): Promise<{ digest: string; mediaType: string }> {
  const listed = await run("ctr", [...ctr, "images", "ls"], { timeoutMs });
  const row = listed.stdout
    .toString("utf8")
    .split("\n")
    .map((line) => line.split(/\s+/))
    .find(([ref]) => ref === reference);
  if (row?.[2] === undefined)
    throw new ClientError(`ctr pulled ${reference} but does not list it:\n${listed.stdout.toString()}`);
  return { digest: row[2], mediaType: row[1] ?? "" };
}

/** The namespace's content (`ctr content ls`), each blob hashed from the daemon's content store on disk. */
async function storedBlobs(daemon: Containerd, ctr: string[], timeoutMs?: number): Promise<BlobFiles> {
  const listed = await run("ctr", [...ctr, "content", "ls", "--quiet"], { timeoutMs });
  const digests = new Set(
    listed.stdout
      .toString("utf8")
      .split("\n")
      .filter((line) => line.startsWith("sha256:")),
  );
  const onDisk = await verifyBlobDir(join(daemon.root, CONTENT, "blobs", "sha256"), (name) =>
    digests.has(`sha256:${name}`) ? `sha256:${name}` : undefined,
  );
  const lost = [...digests].filter((digest) => !onDisk.has(digest));
  if (lost.length > 0) throw new ClientError(`containerd lists ${lost.join(", ")} but has no such file`);
  return onDisk;
}
