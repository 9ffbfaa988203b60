/**
 * The imitation upstream of the end-to-end suite: a Docker Hub look-alike made of a real registry (distribution 2.8)
 * with token auth, an auth.docker.io look-alike token server, a signed-URL blob CDN that refuses Authorization, and
 * an index.docker.io look-alike search API. Every request the four see is logged, so a test can count what a pull
 * cost upstream. startSecondUpstream starts a second registry the same way, like ghcr.io: its own token service
 * (signing key, issuer, service name, accounts) and CDN, and no search index; each registry refuses the other's tokens.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeCertificate } from "../support/tls";
import { startCdn } from "./cdn";
import { type FaultRule, FaultSwitch, startStranger } from "./faults";
import type { Visibility } from "./grants";
import { buildImages, buildSecondImages, type FixtureImage, type Fixtures, type SecondFixtures } from "./images";
import { type LogEntry, RequestLog } from "./log";
import { pushImages, pushRaw } from "./push";
import { startRegistry } from "./registry";
import { startSearchIndex } from "./search-index";
import { type Account, startTokenServer } from "./token-server";

export type { Fault, FaultRule, FaultyServer } from "./faults";
export type {
  Blob,
  FixtureImage,
  FixtureName,
  Fixtures,
  ImageManifest,
  Layer,
  Platform,
  SecondFixtureName,
  SecondFixtures,
} from "./images";
export { blobsOf } from "./images";
export { decodeClaims } from "./jwt";
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
  /** Public repositories besides the fixtures' (empty until a test pushes to them with `pushRaw`). */
  publicRepositories?: string[];
}

/** A username and password. */
export interface Credentials {
  username: string;
  password: string;
}

/** A running imitation upstream; `I` names its fixture images. */
export interface Upstream<I = Fixtures> {
  /** Base URL of the registry (no trailing slash), to configure as the Worker's upstream. */
  registryUrl: string;
  /** Token endpoint, as advertised in the registry's `WWW-Authenticate` realm. */
  realmUrl: string;
  /** The `service` the registry expects in tokens. */
  service: string;
  /** The `iss` the registry expects in tokens (each registry trusts only its own token service's certificate). */
  issuer: string;
  /** Origin of the blob CDN the registry redirects to. */
  cdnUrl: string;
  /** Base URL of the search API (`/v1/search`), which lists every public fixture; the second registry has none. */
  indexUrl: string;
  images: I;
  /** The only account that may pull the private fixtures (besides the fixture admin, which is not exposed). */
  users: { tester: Credentials };
  /** The registry's own stdout and stderr, for diagnosing a failure (removed by stop()). */
  registryLogPath: string;
  /** Every request seen since start (fixture pushes excluded) or since the last reset, oldest first. */
  log(): LogEntry[];
  resetLog(): void;
  /** Fault switches on the registry's front proxy, the CDN and the token server (test/e2e/upstream/faults.ts). */
  faults: { set(rule: FaultRule): void; clear(): void };
  /** Pushes in-memory blobs and a manifest into a repository as the fixture admin; resolves the registry's answer. */
  pushRaw(
    repository: string,
    blobs: Buffer[],
    manifest: { reference: string; mediaType: string; body: string },
  ): Promise<{ status: number; text: string }>;
  /** Stops every server and the registry process. */
  stop(): Promise<void>;
}

/** The second registry: like ghcr.io, with its own token service, signing key, issuer, service name and CDN. */
export type SecondUpstream = Upstream<SecondFixtures>;

/** What tells one imitated registry from another: who signs its tokens, for which service, and who may log in. */
interface Identity {
  issuer: string;
  service: string;
  tester: Account;
  /** Repositories under this prefix are private (the tester's). */
  privatePrefix: string;
  /** Docker Hub has a search index; other registries do not. */
  index: boolean;
}

/** Docker Hub: auth.docker.io signs tokens for the service registry.docker.io. */
const HUB: Identity = {
  issuer: "auth.test",
  service: "registry.test",
  tester: { username: "tester", password: "s3cret", role: "tester" },
  privatePrefix: "private/",
  index: true,
};
/** ghcr.io: its own token service (ghcr.io/token) and service name; its accounts are not Docker Hub's. */
const SECOND: Identity = {
  issuer: "ghcr-auth.test",
  service: "ghcr.test",
  tester: { username: "octocat", password: "ghcr-s3cret", role: "tester" },
  privatePrefix: "acme/private-",
  index: false,
};

/** A Docker Hub fallback like mirror.gcr.io: the same images, behind a token service of its own. */
const FALLBACK: Identity = {
  issuer: "fallback-auth.test",
  service: "fallback.test",
  tester: { username: "fallback-tester", password: "fallback-s3cret", role: "tester" },
  privatePrefix: "private/",
  index: false,
};

/** The directories of one run under the work directory. */
interface Dirs {
  cache: string;
  storage: string;
  run: string;
  /** The storage is another registry's, its images already pushed: nothing to push. */
  pushed?: boolean;
}

/** The Docker Hub imitation: builds (or reuses) the fixture images, starts every part, pushes the fixtures. */
export async function startUpstream(options: UpstreamOptions): Promise<Upstream> {
  return startWorld(options, HUB, (cache) => buildImages(cache, options.largeMb ?? largeMbFromEnv()));
}

/** The second registry (a ghcr.io imitation), started the same way; its tokens are refused by the Hub's and vice versa. */
export async function startSecondUpstream(options: Omit<UpstreamOptions, "largeMb">): Promise<SecondUpstream> {
  return startWorld(options, SECOND, buildSecondImages);
}

/**
 * A fallback for the Docker Hub imitation (UPSTREAM_FALLBACKS), like mirror.gcr.io: a registry of its own (token
 * service, signing key, issuer, service name, CDN) serving the very images `hub` holds, read from `hub`'s storage in
 * `hubWorkDir` (nothing is pushed). It refuses the Hub's tokens and the Hub refuses its own.
 */
export async function startFallbackUpstream(
  options: Omit<UpstreamOptions, "largeMb">,
  hub: Upstream,
  hubWorkDir: string,
): Promise<Upstream> {
  const shared = { storage: join(resolve(hubWorkDir), "registry") };
  return startWorld(options, FALLBACK, async () => hub.images, shared);
}

async function startWorld<I extends Record<string, FixtureImage>>(
  options: UpstreamOptions,
  identity: Identity,
  build: (cacheDir: string) => Promise<I>,
  shared?: { storage: string },
): Promise<Upstream<I>> {
  const workDir = resolve(options.workDir);
  const dirs: Dirs = {
    cache: join(workDir, "images"),
    storage: shared?.storage ?? join(workDir, "registry"),
    run: "",
    pushed: shared !== undefined,
  };
  await Promise.all([dirs.cache, dirs.storage].map((dir) => mkdir(dir, { recursive: true })));
  // A fresh run directory (config, certificate, registry log) per start, so two upstreams never share one.
  dirs.run = await mkdtemp(join(workDir, "run-"));
  const stops: (() => Promise<void>)[] = [async () => rm(dirs.run, { recursive: true, force: true })];
  const stop = async (): Promise<void> => {
    for (const stopOne of stops.splice(0).reverse()) await stopOne();
  };
  try {
    const images = await build(dirs.cache);
    return { ...(await startParts(dirs, Object.values(images), identity, options, stops)), images, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts the token server, the CDN and the registry (registering how to stop each), then pushes the fixtures. */
async function startParts(
  dirs: Dirs,
  images: FixtureImage[],
  identity: Identity,
  options: UpstreamOptions,
  stops: (() => Promise<void>)[],
): Promise<Omit<Upstream<never>, "images" | "stop">> {
  const log = new RequestLog();
  const admin: Account = { username: "admin", password: randomBytes(16).toString("hex"), role: "admin" };
  // A certificate (and key) per run and registry: each registry's rootcertbundle holds only its own token service's.
  const cert = makeCertificate(dirs.run, "token");
  const repositories = new Set([...images.map((image) => image.repository), ...(options.publicRepositories ?? [])]);
  const visibility: Visibility = (name) =>
    !repositories.has(name) ? undefined : name.startsWith(identity.privatePrefix) ? "private" : "public";
  const stranger = await startStranger(log);
  stops.push(stranger.stop);
  const faults = new FaultSwitch(stranger.url);
  stops.push(async () => faults.clear());
  const tokens = await startTokenServer({
    cert,
    issuer: identity.issuer,
    service: identity.service,
    accounts: [identity.tester, admin],
    log,
    faults,
    visibility,
    ttlSeconds: options.tokenTtlSeconds,
  });
  stops.push(tokens.stop);
  const cdn = await startCdn({ root: dirs.storage, secret: randomBytes(32), log, faults });
  stops.push(cdn.stop);
  const registry = await startRegistry({
    runDir: dirs.run,
    storageRoot: dirs.storage,
    realm: tokens.realm,
    service: identity.service,
    issuer: identity.issuer,
    rootCertPath: cert.certPath,
    cdnUrl: cdn.url,
    signLocation: (location) => cdn.sign(location),
    log,
    faults,
  });
  stops.push(registry.stop);
  let indexUrl = "";
  if (identity.index) {
    const index = await startSearchIndex({
      repositories: [...repositories].filter((name) => visibility(name) === "public"),
      log,
    });
    stops.push(index.stop);
    indexUrl = index.url;
  }
  const auth = { realmUrl: tokens.realm, service: identity.service };
  const token = (repository: string): Promise<string> =>
    fetchToken(auth, [`repository:${repository}:pull,push`], admin);
  if (dirs.pushed !== true) await pushImages({ socketPath: registry.socketPath, cacheDir: dirs.cache, token }, images);
  log.reset();
  return {
    ...auth,
    issuer: identity.issuer,
    registryUrl: registry.url,
    cdnUrl: cdn.url,
    indexUrl,
    registryLogPath: registry.logPath,
    users: { tester: { username: identity.tester.username, password: identity.tester.password } },
    log: () => log.entries(),
    resetLog: () => log.reset(),
    faults: { set: (rule) => faults.set(rule), clear: () => faults.clear() },
    pushRaw: (repository, blobs, manifest) =>
      pushRaw({ socketPath: registry.socketPath, token }, repository, blobs, manifest),
  };
}

/** Asks the token server for a token the GET way (HTTP Basic credentials when a user is given). */
export async function fetchToken(
  upstream: Pick<Upstream, "realmUrl" | "service">,
  scopes: string[],
  user?: Credentials,
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
