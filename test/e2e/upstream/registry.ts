/**
 * The real registry (distribution 2.8, Debian's docker-registry) behind a thin Node front proxy. The registry listens
 * on a unix socket; the proxy owns the TCP port, records each request before answering it (distribution's access
 * log is written asynchronously to a pipe, so counting from it would race the test), and signs the blob redirects
 * the registry's `redirect` storage middleware makes, as Docker Hub's CDN URLs are signed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { Agent, createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FaultSwitch } from "./faults";
import type { RequestLog } from "./log";
import { close, listen, reply } from "./serve";

/** How to run the registry. */
export interface RegistryOptions {
  /** Where the config and the registry's log go. */
  runDir: string;
  /** Filesystem storage root; kept between runs so pushed fixtures survive. */
  storageRoot: string;
  /** `auth.token` settings: the realm clients are sent to, and what tokens must say. */
  realm: string;
  service: string;
  issuer: string;
  rootCertPath: string;
  /** Base URL blob GETs and HEADs are redirected to. */
  cdnUrl: string;
  /** Signs a redirect Location on the CDN. */
  signLocation: (location: string) => string;
  log: RequestLog;
  faults: FaultSwitch;
}

/** A running registry. */
export interface Registry {
  /** The front proxy clients use. */
  url: string;
  /** The registry's own socket, for pushing fixtures without touching the request log. */
  socketPath: string;
  /** stdout and stderr of the registry (access log included). */
  logPath: string;
  stop(): Promise<void>;
}

/** Debian's docker-registry package (distribution 2.8), found on PATH like every other prerequisite. */
const BINARY = "docker-registry";
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "expect", "upgrade", "proxy-connection"];

/** Starts the registry and its front proxy on an ephemeral port of 127.0.0.1. */
export async function startRegistry(options: RegistryOptions): Promise<Registry> {
  const socketDir = await mkdtemp(join(tmpdir(), "edgehub-registry-"));
  const socketPath = join(socketDir, "registry.sock");
  const configPath = join(options.runDir, "registry.yml");
  const logPath = join(options.runDir, "registry.log");
  await writeFile(configPath, JSON.stringify(registryConfig(options, socketPath), null, 2));
  const child = spawnRegistry(configPath, logPath);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => forward(req, res, { ...options, socketPath, agent }));
  const stop = async (): Promise<void> => {
    await close(server);
    agent.destroy();
    await stopProcessGroup(child);
    await rm(socketDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(socketPath, child, logPath);
    return { url: await listen(server), socketPath, logPath, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** YAML is a superset of JSON, so the config is written as JSON. */
function registryConfig(options: RegistryOptions, socketPath: string): object {
  return {
    version: "0.1",
    log: { level: "info", formatter: "text", accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: options.storageRoot },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { net: "unix", addr: socketPath, secret: randomBytes(16).toString("hex") },
    auth: {
      token: {
        realm: options.realm,
        service: options.service,
        issuer: options.issuer,
        rootcertbundle: options.rootCertPath,
      },
    },
    // Foreign (non-distributable) layers with `urls` are accepted as Docker Hub accepts them for Windows base layers:
    // a manifest may name a layer the repository does not hold (the bait of the sharing tests, #21).
    validation: { manifests: { urls: { allow: ["^https?://"] } } },
    // 2.8 keeps only the scheme and host of baseurl: Location is <baseurl origin>/docker/registry/v2/blobs/....
    middleware: { storage: [{ name: "redirect", options: { baseurl: options.cdnUrl } }] },
  };
}

function spawnRegistry(configPath: string, logPath: string): ChildProcess {
  const logFd = openSync(logPath, "a");
  // Its own process group, so stop() can end the registry and anything it started in one signal.
  const child = spawn(BINARY, ["serve", configPath], { detached: true, stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  // If the test process dies without calling stop(), do not leave the registry behind.
  const killOnExit = (): void => signalGroup(child, "SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  return child;
}

/** Waits until `/v2/` answers 401, which proves both the listener and the token auth config are up. */
async function waitUntilReady(socketPath: string, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw startupError(`exited with ${child.exitCode}`, logPath);
    const status = await probe(socketPath);
    if (status === 401) return;
    if (status !== undefined) throw startupError(`answered /v2/ with ${status}, not 401`, logPath);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw startupError("did not come up within 15 s", logPath);
}

/** Quotes the end of the registry's log, since stop() removes the run directory that holds it. */
function startupError(what: string, logPath: string): Error {
  const tail = readFileSync(logPath, "utf8").split("\n").slice(-20).join("\n");
  return new Error(`docker-registry ${what}; its log ends with:\n${tail}`);
}

function probe(socketPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    request({ socketPath, path: "/v2/", method: "GET" }, (res) => {
      res.resume();
      resolve(res.statusCode);
    })
      .on("error", () => resolve(undefined))
      .end();
  });
}

interface ForwardContext extends RegistryOptions {
  socketPath: string;
  agent: Agent;
}

function forward(req: IncomingMessage, res: ServerResponse, context: ForwardContext): void {
  const entry = context.log.open("registry", req);
  const fault = context.faults.take("registry", req);
  if (context.faults.answer(fault, req, res, entry)) return void req.resume();
  const { socketPath, agent } = context;
  const upstream = request(
    { socketPath, agent, method: req.method, path: req.url, headers: endToEnd(req.headers) },
    (answer) => {
      entry.status = answer.statusCode ?? 502;
      const headers = endToEnd(answer.headers);
      const location = answer.headers.location;
      if (location?.startsWith(`${context.cdnUrl}/`) === true) headers.location = context.signLocation(location);
      if (headers["content-length"] !== undefined) entry.bytes = Number(headers["content-length"]);
      res.writeHead(entry.status, headers);
      context.faults.pipe(fault, answer, res, entry.bytes ?? 0);
      // A client that hangs up early must not leave the registry connection half read.
      res.once("close", () => {
        if (!answer.complete) answer.destroy();
      });
    },
  );
  upstream.on("error", (error) => {
    entry.status = 502;
    const body = { errors: [{ code: "UNAVAILABLE", message: error.message }] };
    if (!res.headersSent) reply(res, 502, JSON.stringify(body));
    else res.destroy();
  });
  req.pipe(upstream);
}

/** Drops hop-by-hop headers, which describe one connection and must not be forwarded (RFC 9110 section 7.6.1). */
function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name)));
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  signalGroup(child, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}
