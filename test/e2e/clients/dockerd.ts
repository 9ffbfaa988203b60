/**
 * dockerd with `--registry-mirror`, and the docker CLI against it. dockerd runs on our own containerd, vfs storage,
 * no networking setup, and a daemon.json of ours (which also moves key.json out of /etc/docker). It reads the CA
 * from SSL_CERT_FILE (Go's system pool); note that dockerd always counts 127.0.0.0/8 as an insecure registry, so
 * for a mirror on 127.0.0.1 it speaks HTTPS without checking the certificate at all.
 * https://docs.docker.com/reference/cli/dockerd/#insecure-registries
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ClientOptions,
  type Credentials,
  makeScratch,
  makeSocketDir,
  removeDir,
  trackNewPaths,
  unmountUnder,
} from "./common";
import { type Containerd, startContainerd } from "./containerd";
import { ClientError, type Daemon, missingCommand, needsRoot, type RunResult, run, startDaemon, tail } from "./process";

/** How to start dockerd. */
export interface DockerdOptions extends ClientOptions {
  /** Credentials the CLI sends for Docker Hub; dockerd passes them to the mirror. */
  creds?: Credentials;
  /** Credentials per registry `host:port`, as `docker login <host>` stores them (e.g. for a route's subdomain). */
  logins?: Record<string, Credentials>;
  /** A running containerd to use; otherwise one is started and stopped with dockerd. */
  containerd?: Containerd;
}

/** What `docker pull` left in the daemon. */
export interface DockerPullResult {
  /** The manifest digest from RepoDigests (the index digest for a multi-platform image). */
  digest: string;
  repoDigests: string[];
  /** The image ID, which is the config digest. */
  configDigest: string;
  diffIds: string[];
  /** dockerd's own log lines about which endpoint it tried. */
  endpoints: string[];
  ms: number;
}

/** One `docker search` hit. */
export interface SearchHit {
  Name: string;
  Description: string;
  StarCount: number;
  IsOfficial: boolean;
}

/** A running dockerd. */
export interface Dockerd {
  /** `unix://…`, for `docker -H`. */
  host: string;
  /** `docker pull`, then `docker image inspect`. Defaults to `alpine` (sent to the mirror as `library/alpine`). */
  pull(reference?: string): Promise<DockerPullResult>;
  /** `docker image rm`, so the next pull of the same image fetches it again. */
  removeImage(reference: string): Promise<void>;
  /**
   * `docker search`. A plain term goes to index.docker.io, never to a mirror; `127.0.0.1:PORT/term` asks that
   * registry (`/v1/_ping` twice, then `/v1/search?q=term&n=25` with `Authorization: Basic Og==` when logged out).
   */
  search(term: string): Promise<SearchHit[]>;
  log(): string;
  stop(): Promise<void>;
}

interface ImageInspect {
  Id: string;
  RepoDigests: string[] | null;
  RootFS: { Layers: string[] | null };
}

/** Why dockerd cannot run here, or null. */
export function skipReason(): string | null {
  return missingCommand(["dockerd", "docker", "containerd", "ctr"]) ?? needsRoot("dockerd");
}

/** Starts dockerd (and a containerd unless one is given) and waits until it answers. */
export async function startDockerd(options: DockerdOptions): Promise<Dockerd> {
  const dir = await makeScratch(options.workDir, "dockerd");
  const socketDir = await makeSocketDir("ehdkr");
  // dockerd always makes /run/docker/plugins (a path fixed in its code); we remove it again if it is ours.
  const removeHostPaths = trackNewPaths(["/run/docker"]);
  let owned: Containerd | undefined;
  let daemon: Daemon | undefined;
  const stop = async (): Promise<void> => {
    await daemon?.stop();
    await owned?.stop();
    await removeHostPaths();
    await unmountUnder(dir);
    await removeDir(dir);
    await removeDir(socketDir);
  };
  try {
    owned = options.containerd === undefined ? await startContainerd(options) : undefined;
    const env = await writeCliConfig(join(dir, "cli"), options);
    const host = `unix://${join(socketDir, "docker.sock")}`;
    const docker: Docker = (args) => run("docker", ["-H", host, ...args], { env, timeoutMs: options.timeoutMs });
    const address = (options.containerd ?? owned!).address;
    daemon = await startDaemon("dockerd", await daemonArgs(dir, socketDir, host, address, options), {
      env: { ...process.env, SSL_CERT_FILE: options.caCertPath },
      ready: async () => (await run("docker", ["-H", host, "version"], { env, timeoutMs: 5_000 }), true),
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    return client(host, daemon, docker, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts dockerd, pulls once, and stops it again. */
export async function pull(options: DockerdOptions & { reference?: string }): Promise<DockerPullResult> {
  const dockerd = await startDockerd(options);
  try {
    return await dockerd.pull(options.reference);
  } finally {
    await dockerd.stop();
  }
}

async function daemonArgs(
  dir: string,
  socketDir: string,
  host: string,
  containerd: string,
  options: DockerdOptions,
): Promise<string[]> {
  const configFile = join(dir, "daemon.json");
  // daemon.json also keeps dockerd away from /etc/docker/daemon.json, and moves key.json (default /etc/docker).
  await writeFile(configFile, JSON.stringify({ "deprecated-key-path": join(dir, "key.json") }));
  return [
    "--config-file",
    configFile,
    "--data-root",
    join(dir, "data"),
    "--exec-root",
    join(socketDir, "exec"),
    "--pidfile",
    join(dir, "docker.pid"),
    "-H",
    host,
    "--containerd",
    containerd,
    "--debug",
    "--storage-driver",
    "vfs",
    "--iptables=false",
    "--ip6tables=false",
    "--bridge=none",
    "--ip-masq=false",
    "--registry-mirror",
    `https://${options.mirror}`,
  ];
}

/** The CLI's own config dir (DOCKER_CONFIG), so ~/.docker is not used; holds the given credentials, if any. */
async function writeCliConfig(
  dir: string,
  options: Pick<DockerdOptions, "creds" | "logins">,
): Promise<NodeJS.ProcessEnv> {
  await mkdir(dir, { recursive: true });
  const logins = {
    ...options.logins,
    ...(options.creds === undefined ? {} : { "https://index.docker.io/v1/": options.creds }),
  };
  const auths = Object.fromEntries(
    Object.entries(logins).map(([host, creds]) => [
      host,
      { auth: Buffer.from(`${creds.username}:${creds.password}`).toString("base64") },
    ]),
  );
  await writeFile(join(dir, "config.json"), JSON.stringify({ auths }));
  return { ...process.env, DOCKER_CONFIG: dir };
}

type Docker = (args: string[]) => Promise<RunResult>;

function client(host: string, daemon: Daemon, docker: Docker, stop: () => Promise<void>): Dockerd {
  return {
    host,
    log: () => daemon.log(),
    stop,
    pull: (reference = "alpine") => pullImage(daemon, docker, reference),
    removeImage: async (reference) => {
      await docker(["image", "rm", reference]);
    },
    search: async (term) => {
      const found = await docker(["search", "--no-trunc", "--format", "{{json .}}", term]);
      return found.stdout.toString("utf8").split("\n").filter(Boolean).map(parseSearchHit);
    },
  };
}

/** One line of `docker search --format '{{json .}}'`; the CLI (28.x) prints the numbers and booleans as strings. */
function parseSearchHit(line: string): SearchHit {
  const raw = JSON.parse(line) as Record<string, unknown>;
  return {
    Name: String(raw.Name),
    Description: String(raw.Description ?? ""),
    StarCount: Number(raw.StarCount),
    IsOfficial: String(raw.IsOfficial) === "true",
  };
}

/** Pulls, then reads the image back; a failure carries dockerd's endpoint errors, which the CLI does not show. */
async function pullImage(daemon: Daemon, docker: Docker, reference: string): Promise<DockerPullResult> {
  const logStart = daemon.log().length;
  const endpoints = (): string[] =>
    daemon
      .log()
      .slice(logStart)
      .split("\n")
      .filter((line) => /Trying to pull|Attempting next endpoint|Error getting v2 registry/.test(line));
  let pulled: RunResult;
  try {
    pulled = await docker(["pull", reference]);
  } catch (error) {
    await settleLog(daemon);
    const message = error instanceof Error ? error.message : String(error);
    throw new ClientError(`${message}\ndockerd:\n${tail(endpoints().join("\n"))}`, { cause: error });
  }
  await settleLog(daemon);
  // dockerd falls back to registry-1.docker.io when the mirror fails, so a pull that worked may not have used it.
  const fallback = endpoints().filter((line) => line.includes("Attempting next endpoint"));
  if (fallback.length > 0) throw new ClientError(`dockerd gave up on the mirror:\n${fallback.join("\n")}`);
  const inspected = await docker(["image", "inspect", reference]);
  const [image] = JSON.parse(inspected.stdout.toString("utf8")) as ImageInspect[];
  const repoDigests = image?.RepoDigests ?? [];
  const digest = repoDigests[0]?.split("@")[1];
  if (image === undefined || digest === undefined)
    throw new ClientError(`docker pulled ${reference} but reports no digest`);
  return {
    digest,
    repoDigests,
    configDigest: image.Id,
    diffIds: image.RootFS.Layers ?? [],
    endpoints: endpoints(),
    ms: pulled.ms,
  };
}

/** Waits until dockerd's log has been quiet for 100 ms (2 s at most): it has a pipe of its own and may trail the CLI. */
async function settleLog(daemon: Daemon): Promise<void> {
  let length = -1;
  for (let waited = 0; daemon.log().length !== length && waited < 2_000; waited += 100) {
    length = daemon.log().length;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
