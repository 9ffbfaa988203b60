/**
 * Runs the real clients and their daemons: every call is bounded in time, runs in a process group of its own (so a
 * timeout also ends whatever the client started), and fails with the client's own stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** How long one client call may take unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** How to run one command. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Absent or undefined: the default. */
  timeoutMs?: number | undefined;
}

/** What a command printed, and how long it took. */
export interface RunResult {
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** A client or daemon failure; the message names the command and carries the tail of its stderr. */
export class ClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ClientError";
  }
}

/** A running daemon. */
export interface Daemon {
  pid: number;
  /** Everything the daemon printed so far (stdout and stderr interleaved). */
  log(): string;
  /** SIGTERM to the whole group, SIGKILL after a grace period; resolves once the daemon has exited. */
  stop(): Promise<void>;
}

/** How to start a daemon. */
export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  /** Polled every 100 ms until it answers true. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
  /** How long a polite stop may take before SIGKILL. */
  graceMs?: number;
}

const STDERR_TAIL = 4_000;
/** Daemon logs are kept in memory; the oldest part goes once they pass this size. */
const LOG_LIMIT = 4 * 1024 * 1024;
const running = new Set<ChildProcess>();

/** True when `name` is an executable file on PATH. */
export function hasCommand(name: string): boolean {
  return commandPath(name) !== undefined;
}

/** The full path of `name` on PATH, or undefined. */
export function commandPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The first of `commands` missing from PATH, as a skip reason, or null when all are there. */
export function missingCommand(commands: string[]): string | null {
  const missing = commands.find((name) => !hasCommand(name));
  return missing === undefined ? null : `${missing} is not installed (not found on PATH)`;
}

/** Why a client that needs root cannot run here, or null. */
export function needsRoot(client: string): string | null {
  return process.getuid?.() === 0 ? null : `${client} needs root here (rootless mode is not set up in this sandbox)`;
}

/** Runs a command to completion; rejects with its stderr when it fails or outlives the timeout. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawnGroup(command, args, options.env);
    const stdout: Buffer[] = [];
    let stderr = "";
    let timedOut = false;
    child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new ClientError(`${command} could not start: ${error.message}`, { cause: error }));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (code === 0) return resolve({ stdout: Buffer.concat(stdout), stderr, ms });
      const how = timedOut ? `timed out after ${timeoutMs / 1000} s` : `exited with ${code ?? signal}`;
      reject(new ClientError(`${commandLine(command, args)} ${how}:\n${tail(stderr)}`));
    });
  });
}

/** Starts a daemon in its own process group and waits until it is ready; on failure it is stopped again. */
export async function startDaemon(command: string, args: string[], options: DaemonOptions): Promise<Daemon> {
  const child = spawnGroup(command, args, options.env);
  let output = "";
  const keep = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > LOG_LIMIT) output = output.slice(-LOG_LIMIT / 2);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.once("error", (error) => (output += `\n${command} could not start: ${error.message}`));
  const daemon: Daemon = {
    pid: child.pid ?? -1,
    log: () => output,
    stop: () => stopGroup(child, exited, options.graceMs ?? 15_000),
  };
  try {
    await waitUntilReady(command, child, options, () => output);
    return daemon;
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}

async function waitUntilReady(
  command: string,
  child: ChildProcess,
  options: DaemonOptions,
  log: () => string,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ClientError(
        `${command} exited with ${child.exitCode ?? child.signalCode} while starting:\n${tail(log())}`,
      );
    }
    if (await options.ready().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new ClientError(`${command} was not ready after ${timeoutMs / 1000} s:\n${tail(log())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function spawnGroup(command: string, args: string[], env: NodeJS.ProcessEnv | undefined): ChildProcess {
  // detached puts the child at the head of a new process group, so one kill(-pid) reaches all it started.
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
  running.add(child);
  child.once("close", () => running.delete(child));
  return child;
}

async function stopGroup(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  killGroup(child, "SIGTERM");
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function commandLine(command: string, args: string[]): string {
  return [command, ...args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word))).join(" ");
}

/** The end of a long output, where clients put the error that matters. */
export function tail(text: string, length = STDERR_TAIL): string {
  return text.length <= length ? text : `…${text.slice(-length)}`;
}

// A crashed or interrupted test run must not leave daemons behind: kill every group still running as Node exits.
process.once("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});
