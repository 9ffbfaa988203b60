/**
 * The imitation upstream of the end-to-end suite: a Docker Hub look-alike made of a real registry (distribution 2.8)
 * with token auth, an auth.docker.io look-alike token server, a signed-URL blob CDN that refuses Authorization, and
 * an index.docker.io look-alike search API. Every request the four see is logged, so a test can count what a pull
 * cost upstream.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeCertificate } from "../support/tls";
import { startCdn } from "./cdn";
import { PRIVATE_PREFIX } from "./grants";
import { FaultSwitch, startStranger, type FaultRule } from "./faults";
import { buildImages, type Fixtures } from "./images";
import { RequestLog, type LogEntry } from "./log";
import { pushImages } from "./push";
import { startRegistry } from "./registry";
import { startSearchIndex } from "./search-index";
import { startTokenServer, type Account } from "./token-server";

export type { Blob, FixtureImage, FixtureName, Fixtures, ImageManifest, Layer, Platform } from "./images";
export { blobsOf } from "./images";
export { decodeClaims } from "./jwt";
export type { Fault, FaultRule, FaultyServer } from "./faults";
export type { LogEntry, ServerName } from "./log";

/** How to start the upstream. */
export interface UpstreamOptions {
  /**
   * Holds the image cache and the registry storage, both reused by later runs, and a run directory (config,
   * certificate, registry log) that stop() removes.
   */
  workDir: string;
  /** Total size of library/large; defaults to $EDGEHUB_E2E_LARGE_MB, else 200. */
  largeMb?: number;
  /** Lifetime of issued tokens; defaults to 300 s, like Docker Hub. */
  tokenTtlSeconds?: number;
}

/** A username and password. */
export interface Credentials {
  username: string;
  password: string;
}

/** A running imitation upstream. */
export interface Upstream {
  /** Base URL of the registry (no trailing slash), to configure as the Worker's upstream. */
  registryUrl: string;
  /** Token endpoint, as advertised in the registry's `WWW-Authenticate` realm. */
  realmUrl: string;
  /** The `service` the registry expects in tokens. */
  service: string;
  /** Origin of the blob CDN the registry redirects to. */
  cdnUrl: string;
  /** Base URL of the search API (`/v1/search`), which lists every fixture but the private one. */
  indexUrl: string;
  images: Fixtures;
  /** The only account that may pull `private/*` (besides the fixture admin, which is not exposed). */
  users: { tester: Credentials };
  /** The registry's own stdout and stderr, for diagnosing a failure (removed by stop()). */
  registryLogPath: string;
  /** Every request seen since start (fixture pushes excluded) or since the last reset, oldest first. */
  log(): LogEntry[];
  resetLog(): void;
  /** Fault switches on the registry's front proxy and the CDN (test/e2e/upstream/faults.ts). */
  faults: { set(rule: FaultRule): void; clear(): void };
  /** Stops every server and the registry process. */
  stop(): Promise<void>;
}

const SERVICE = "registry.test";
const ISSUER = "auth.test";
const TESTER: Account = { username: "tester", password: "s3cret", role: "tester" };

/** The directories of one run under the work directory. */
interface Dirs {
  cache: string;
  storage: string;
  run: string;
}

/** Builds (or reuses) the fixture images, starts every part, pushes the fixtures, and returns with an empty log. */
export async function startUpstream(options: UpstreamOptions): Promise<Upstream> {
  const workDir = resolve(options.workDir);
  const dirs: Dirs = { cache: join(workDir, "images"), storage: join(workDir, "registry"), run: "" };
  await Promise.all([dirs.cache, dirs.storage].map((dir) => mkdir(dir, { recursive: true })));
  // A fresh run directory (config, certificate, registry log) per start, so two upstreams never share one.
  dirs.run = await mkdtemp(join(workDir, "run-"));
  const stops: (() => Promise<void>)[] = [async () => rm(dirs.run, { recursive: true, force: true })];
  const stop = async (): Promise<void> => {
    for (const stopOne of stops.splice(0).reverse()) await stopOne();
  };
  try {
    const images = await buildImages(dirs.cache, options.largeMb ?? largeMbFromEnv());
    return { ...(await startParts(dirs, images, options, stops)), images, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts the token server, the CDN and the registry (registering how to stop each), then pushes the fixtures. */
async function startParts(
  dirs: Dirs, images: Fixtures, options: UpstreamOptions, stops: (() => Promise<void>)[],
): Promise<Omit<Upstream, "images" | "stop">> {
  const log = new RequestLog();
  const admin: Account = { username: "admin", password: randomBytes(16).toString("hex"), role: "admin" };
  const cert = makeCertificate(dirs.run, "token");
  const repositories = new Set(Object.values(images).map((image) => image.repository));
  const tokens = await startTokenServer({
    cert, issuer: ISSUER, service: SERVICE, accounts: [TESTER, admin], log,
    exists: (name) => repositories.has(name), ttlSeconds: options.tokenTtlSeconds,
  });
  stops.push(tokens.stop);
  const stranger = await startStranger(log);
  stops.push(stranger.stop);
  const faults = new FaultSwitch(stranger.url);
  stops.push(async () => faults.clear());
  const cdn = await startCdn({ root: dirs.storage, secret: randomBytes(32), log, faults });
  stops.push(cdn.stop);
  const registry = await startRegistry({
    runDir: dirs.run, storageRoot: dirs.storage, realm: tokens.realm, service: SERVICE, issuer: ISSUER,
    rootCertPath: cert.certPath, cdnUrl: cdn.url, signLocation: (location) => cdn.sign(location), log, faults,
  });
  stops.push(registry.stop);
  const index = await startSearchIndex({ repositories: [...repositories].filter((name) => !name.startsWith(PRIVATE_PREFIX)), log });
  stops.push(index.stop);
  const auth = { realmUrl: tokens.realm, service: SERVICE };
  const token = (repository: string): Promise<string> =>
    fetchToken(auth, [`repository:${repository}:pull,push`], admin);
  await pushImages({ socketPath: registry.socketPath, cacheDir: dirs.cache, token }, Object.values(images));
  log.reset();
  return {
    ...auth, registryUrl: registry.url, cdnUrl: cdn.url, indexUrl: index.url, registryLogPath: registry.logPath,
    users: { tester: { username: TESTER.username, password: TESTER.password } },
    log: () => log.entries(), resetLog: () => log.reset(),
    faults: { set: (rule) => faults.set(rule), clear: () => faults.clear() },
  };
}

/** Asks the token server for a token the GET way (HTTP Basic credentials when a user is given). */
export async function fetchToken(
  upstream: Pick<Upstream, "realmUrl" | "service">, scopes: string[], user?: Credentials,
): Promise<string> {
  const url = new URL(upstream.realmUrl);
  url.searchParams.set("service", upstream.service);
  for (const scope of scopes) url.searchParams.append("scope", scope);
  const headers: Record<string, string> = {};
  if (user !== undefined) headers.Authorization = `Basic ${btoa(`${user.username}:${user.password}`)}`;
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error(`token server answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

function largeMbFromEnv(): number {
  const raw = process.env.EDGEHUB_E2E_LARGE_MB;
  if (raw === undefined || raw === "") return 200;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`EDGEHUB_E2E_LARGE_MB must be a whole number of megabytes (at least 1), not "${raw}"`);
  }
  return value;
}
