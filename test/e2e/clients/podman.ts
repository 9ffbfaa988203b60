/**
 * podman pulling `docker.io/...` through a registries.conf that makes the registry under test a mirror of
 * docker.io. Storage, run state, locks, events and configuration are all in a scratch dir; the CA is trusted with
 * `--cert-dir`, which containers/image applies to every host it contacts, mirrors included.
 * https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ClientOptions,
  CONTAINERS_IMAGE_HOST_PATHS,
  type Credentials,
  makeCertDir,
  makeScratch,
  makeSocketDir,
  removeDir,
  trackNewPaths,
} from "./common";
import { ClientError, missingCommand, needsRoot, run } from "./process";

/** What to pull, and how the mirror is named. */
export interface PodmanOptions extends ClientOptions {
  /** Defaults to `docker.io/library/alpine:latest`. */
  reference?: string;
  /** The registry the mirror stands in for (the `[[registry]]` prefix); defaults to `docker.io`. */
  registry?: string;
  /** A path after the mirror's host, for the path-prefix form: `docker.io` makes podman ask for `/v2/docker.io/library/…`. */
  mirrorPath?: string;
  /** Credentials for the mirror, written to the auth file under the mirror's host. */
  creds?: Credentials;
  /** Pulls this architecture from an index (`--arch`). */
  arch?: string;
}

/** The pulled image as podman stored it, and the URLs it fetched. */
export interface PodmanResult {
  imageId: string;
  /** The digest podman resolved the reference to (the index digest for a multi-platform image). */
  digest: string;
  repoDigests: string[];
  /** `sha256:` + the image ID: podman names images by their config digest. */
  configDigest: string;
  diffIds: string[];
  /** Every registry URL podman requested, from its debug log; all are on the mirror. */
  requests: string[];
  ms: number;
}

interface ImageInspect {
  Id: string;
  Digest: string;
  RepoDigests: string[] | null;
  RootFS: { Layers: string[] | null };
}

/** Why podman cannot run here, or null. */
export function skipReason(): string | null {
  return missingCommand(["podman"]) ?? needsRoot("podman");
}

/** Pulls through the mirror into throw-away storage and reads back what podman stored. */
export async function pull(options: PodmanOptions): Promise<PodmanResult> {
  const dir = await makeScratch(options.workDir, "podman");
  // podman refuses a runroot longer than 50 characters (sockets live there), so run state goes under /tmp.
  const runDir = await makeSocketDir("ehpod");
  // Besides the blob info cache, podman 4.3 always makes /run/containers/networks (its rootful network run dir).
  const removeHostPaths = trackNewPaths([...CONTAINERS_IMAGE_HOST_PATHS, "/run/containers"]);
  try {
    const { global, env } = await configure(dir, runDir, options);
    const reference = options.reference ?? "docker.io/library/alpine:latest";
    const pullArgs = ["pull", "--cert-dir", join(dir, "certs"), "--signature-policy", join(dir, "policy.json")];
    if (options.arch !== undefined) pullArgs.push("--arch", options.arch);
    const pulled = await run("podman", [...global, "--log-level", "debug", ...pullArgs, reference], {
      env,
      timeoutMs: options.timeoutMs,
    });
    const requests = checkMirrorUsed(pulled.stderr, options.mirror);
    const inspected = await run("podman", [...global, "image", "inspect", reference], {
      env,
      timeoutMs: options.timeoutMs,
    });
    const [image] = JSON.parse(inspected.stdout.toString("utf8")) as ImageInspect[];
    if (image === undefined) throw new ClientError(`podman pulled ${reference} but cannot inspect it`);
    return {
      imageId: image.Id,
      digest: image.Digest,
      repoDigests: image.RepoDigests ?? [],
      configDigest: `sha256:${image.Id}`,
      diffIds: image.RootFS.Layers ?? [],
      requests,
      ms: pulled.ms,
    };
  } finally {
    await removeDir(dir);
    await removeDir(runDir);
    await removeHostPaths();
  }
}

/** Writes registries.conf, containers.conf, storage.conf and the policy; returns the global flags and environment. */
async function configure(
  dir: string,
  runDir: string,
  options: PodmanOptions,
): Promise<{ global: string[]; env: NodeJS.ProcessEnv }> {
  const path = (name: string): string => (name === "runroot" || name === "tmp" ? join(runDir, name) : join(dir, name));
  await Promise.all(["root", "runroot", "tmp", "networks"].map((name) => mkdir(path(name))));
  await makeCertDir(path("certs"), options.caCertPath);
  const registry = options.registry ?? "docker.io";
  const location = options.mirrorPath === undefined ? options.mirror : `${options.mirror}/${options.mirrorPath}`;
  await writeFile(
    path("registries.conf"),
    [
      "unqualified-search-registries = []",
      "[[registry]]",
      `prefix = ${JSON.stringify(registry)}`,
      `location = ${JSON.stringify(registry)}`,
      "[[registry.mirror]]",
      `location = ${JSON.stringify(location)}`,
      "",
    ].join("\n"),
  );
  // File locks under tmp_dir instead of the shared-memory segment every root podman shares (/dev/shm/libpod_lock).
  await writeFile(
    path("containers.conf"),
    [
      "[engine]",
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      'lock_type = "file"',
      `tmp_dir = ${JSON.stringify(path("tmp"))}`,
      "[network]",
      `network_config_dir = ${JSON.stringify(path("networks"))}`,
      "",
    ].join("\n"),
  );
  // An empty storage.conf is refused; this one says what the flags below say, so /etc/containers/storage.conf is unused.
  await writeFile(
    path("storage.conf"),
    [
      "[storage]",
      'driver = "vfs"',
      `graphroot = ${JSON.stringify(path("root"))}`,
      `runroot = ${JSON.stringify(path("runroot"))}`,
      "",
    ].join("\n"),
  );
  await writeFile(path("auth.json"), JSON.stringify(authFile(options)));
  await writeFile(path("policy.json"), JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  const global = [
    "--root",
    path("root"),
    "--runroot",
    path("runroot"),
    "--tmpdir",
    path("tmp"),
    "--storage-driver",
    "vfs",
    "--cgroup-manager",
    "cgroupfs",
    "--events-backend",
    "file",
  ];
  const env = {
    ...process.env,
    CONTAINERS_REGISTRIES_CONF: path("registries.conf"),
    CONTAINERS_CONF: path("containers.conf"),
    CONTAINERS_STORAGE_CONF: path("storage.conf"),
    REGISTRY_AUTH_FILE: path("auth.json"),
  };
  return { global, env };
}

/**
 * Our own auth file keeps the host's credentials (/run/containers/0/auth.json, ~/.docker) out. Credentials go in it
 * under the mirror's host, as `podman login <mirror>` would put them: containers/image never sends `--creds` to a
 * mirror, only to the registry the reference names.
 */
function authFile(options: PodmanOptions): { auths: Record<string, { auth: string }> } {
  if (options.creds === undefined) return { auths: {} };
  const auth = Buffer.from(`${options.creds.username}:${options.creds.password}`).toString("base64");
  return { auths: { [options.mirror]: { auth } } };
}

/**
 * Reads the registry requests from podman's debug log and fails unless the manifest came from the mirror and
 * nothing else was contacted: containers/image silently falls back to the real registry when a mirror fails.
 */
function checkMirrorUsed(debugLog: string, mirror: string): string[] {
  const requests = [...debugLog.matchAll(/msg="(?:GET|HEAD) (https?:\/\/[^"\s]+)"/g)].map((match) => match[1]!);
  const elsewhere = requests.filter((url) => new URL(url).host !== mirror);
  if (elsewhere.length > 0)
    throw new ClientError(`podman contacted ${elsewhere.join(", ")} besides the mirror ${mirror}`);
  if (!requests.some((url) => url.includes("/manifests/"))) {
    throw new ClientError(`podman fetched no manifest from the mirror ${mirror}; its requests: ${requests.join(", ")}`);
  }
  return requests;
}
