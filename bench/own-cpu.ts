/**
 * The Worker's OWN CPU time: time on CPU while workerd holds the Worker's V8 isolate lock. workerd takes a
 * `v8::Locker` on an isolate whenever it runs that isolate's JavaScript (the fetch handler, promise callbacks, stream
 * callbacks into JS) and drops it when control goes back to its native event loop, where natively piped bytes, HTTP
 * parsing and the other isolates' work (Miniflare's entry Worker, the Cache API and R2 simulators) happen. So the
 * time a thread is on CPU between `v8::Locker::Initialize` and `v8::Locker::~Locker` for the Worker's isolate is
 * what the Worker's code cost, which is what Cloudflare's CPU limit counts, unlike the process CPU (bench/cpu.ts).
 *
 * Method: two uprobes on the workerd binary (tracefs `uprobe_events`, file offsets from its symbol table), recorded
 * with `perf record -a` together with `sched:sched_switch` for the runtime's main thread, so time the thread was
 * switched out while holding the lock is not counted. Needs root (or perf_event_paranoid <= -1) and tracefs; when
 * either is missing `prepareProbes` says why and the bench reports the process figure alone.
 * Validated on a Worker of known cost by bench/own-cpu.bench.ts (within ±15%).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TRACEFS = "/sys/kernel/tracing";
const GROUP = "edgehub";

/** Defines the two lock probes on `binary` (idempotent). Returns undefined when ready, or why the method cannot run. */
export function prepareProbes(binary: string): string | undefined {
  try {
    if (!existsSync(`${TRACEFS}/uprobe_events`)) execFileSync("mount", ["-t", "tracefs", "nodev", TRACEFS]);
    const offsets = lockOffsets(binary);
    const events = `${TRACEFS}/uprobe_events`;
    const defined = readFileSync(events, "utf8");
    if (defined.includes(`${GROUP}/lock_enter ${binary}:`)) return undefined;
    for (const name of ["lock_enter", "lock_exit"])
      if (defined.includes(`${GROUP}/${name} `)) writeFileSync(events, `-:${GROUP}/${name}\n`, { flag: "a" });
    // Locker::Initialize(Isolate*): this in %di, the isolate in %si. ~Locker: this in %di, isolate_ at +8.
    writeFileSync(events, `p:${GROUP}/lock_enter ${binary}:0x${offsets.enter.toString(16)} isolate=%si:x64\n`, {
      flag: "a",
    });
    writeFileSync(events, `p:${GROUP}/lock_exit ${binary}:0x${offsets.exit.toString(16)} isolate=+8(%di):x64\n`, {
      flag: "a",
    });
    execFileSync("perf", ["--version"]);
    return undefined;
  } catch (error) {
    return `uprobes not available here (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
  }
}

/** File offsets of v8::Locker::Initialize and ~Locker: symbol address less its segment's address plus offset. */
function lockOffsets(binary: string): { enter: number; exit: number } {
  const symbols = execFileSync("nm", [binary], { maxBuffer: 256 * 1024 * 1024 }).toString();
  const address = (mangled: string) => {
    const match = new RegExp(`^([0-9a-f]+) T ${mangled}$`, "m").exec(symbols);
    if (!match?.[1]) throw new Error(`${mangled} not in ${binary}`);
    return Number.parseInt(match[1], 16);
  };
  const segments = execFileSync("readelf", ["-lW", binary])
    .toString()
    .split("\n")
    .filter((line) => /^\s*LOAD\s/.test(line) && /R E/.test(line))
    .map((line) => line.trim().split(/\s+/));
  const text = segments[0];
  if (!text?.[1] || !text[2]) throw new Error("no executable segment");
  const shift = Number.parseInt(text[2], 16) - Number.parseInt(text[1], 16);
  return {
    enter: address("_ZN2v86Locker10InitializeEPNS_7IsolateE") - shift,
    exit: address("_ZN2v86LockerD1Ev") - shift,
  };
}

/** On-CPU milliseconds under each isolate's lock, with how many times it was taken, from one recording. */
export type IsolateCpu = Map<string, { ms: number; locks: number; firstLocks: number; secondLocks: number }>;

/** Records `work` (and `settleMs` after it) on workerd process `pid`'s main thread; CPU under lock per isolate. */
export async function recordIsolates(pid: number, work: () => Promise<void>, settleMs = 1500): Promise<IsolateCpu> {
  const dir = mkdtempSync(join(tmpdir(), "edgehub-own-cpu-"));
  const data = join(dir, "perf.data");
  const events = [
    ["-e", `${GROUP}:lock_enter`, "--filter", `common_pid == ${pid}`],
    ["-e", `${GROUP}:lock_exit`, "--filter", `common_pid == ${pid}`],
    ["-e", "sched:sched_switch", "--filter", `prev_pid == ${pid} || next_pid == ${pid}`],
  ].flat();
  const perf = spawn("perf", ["record", "-q", "-a", "-o", data, ...events], { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  perf.stderr?.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  await sleep(700); // perf attaches its probes before it records anything
  try {
    await work();
    await sleep(settleMs);
  } finally {
    await stop(perf);
  }
  try {
    const script = execFileSync("perf", ["script", "-i", data, "-F", "tid,time,event,trace"], {
      maxBuffer: 1024 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    return isolateCpu(script, pid);
  } catch (error) {
    throw new Error(`perf script failed: ${errors}`, { cause: error });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Gap between requests: the first isolate locked after it is the one that received the request (the entry Worker). */
const IDLE_GAP_S = 0.005;

/** Folds perf script lines (tid time: event: fields) into on-CPU time under each isolate's lock on thread `tid`. */
export function isolateCpu(script: string, tid: number): IsolateCpu {
  const result: IsolateCpu = new Map();
  const held = new Map<string, { depth: number; since: number }>();
  let onCpu = true;
  let lastEvent = Number.NEGATIVE_INFINITY;
  let sinceGap = 0;
  const entry = (isolate: string) => {
    let value = result.get(isolate);
    if (!value) result.set(isolate, (value = { ms: 0, locks: 0, firstLocks: 0, secondLocks: 0 }));
    return value;
  };
  const charge = (until: number) => {
    for (const [isolate, lock] of held) if (lock.depth > 0) entry(isolate).ms += (until - lock.since) * 1000;
  };
  for (const line of script.split("\n")) {
    const match = /^\s*(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, thread, time, event, fields] = match;
    const at = Number(time);
    if (event === "sched:sched_switch") {
      const out = new RegExp(`prev_pid=${tid}\\b`).test(fields ?? "");
      if (out && onCpu) charge(at);
      if (out) onCpu = false;
      else if (new RegExp(`next_pid=${tid}\\b`).test(fields ?? "")) {
        onCpu = true;
        for (const lock of held.values()) lock.since = at;
      }
      continue;
    }
    if (Number(thread) !== tid) continue;
    const isolate = /isolate=(0x[0-9a-f]+)/.exec(fields ?? "")?.[1];
    if (!isolate) continue;
    onCpu = true; // a probe fires only on a running thread
    const lock = held.get(isolate) ?? { depth: 0, since: at };
    if (event?.endsWith("lock_enter")) {
      if (at - lastEvent > IDLE_GAP_S) sinceGap = 0;
      sinceGap++;
      if (lock.depth === 0) {
        lock.since = at;
        const counts = entry(isolate);
        counts.locks++;
        if (sinceGap === 1) counts.firstLocks++;
        if (sinceGap === 2) counts.secondLocks++;
      }
      lock.depth++;
    } else if (lock.depth > 0) {
      lock.depth--;
      if (lock.depth === 0) entry(isolate).ms += (at - lock.since) * 1000;
    }
    held.set(isolate, lock);
    lastEvent = at;
  }
  return result;
}

/**
 * The Worker's isolate, from a recording of requests only the Worker handles (no cache, no upstream): Miniflare's
 * entry Worker takes each request first, and hands it to the Worker's isolate second.
 */
export function workerIsolate(calibration: IsolateCpu): string {
  const ranked = [...calibration].sort(([, a], [, b]) => b.secondLocks - a.secondLocks);
  const found = ranked[0];
  if (!found || found[1].secondLocks === 0) throw new Error("no isolate ran the calibration requests");
  return found[0];
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  await exited;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
