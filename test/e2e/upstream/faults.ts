/**
 * Fault switches for the imitation upstream: a test turns on what goes wrong (a connection closed mid-blob, a body
 * short of its Content-Length, wrong bytes, a hang, an error status, a redirect loop, a redirect to a stranger, an
 * oversized token) at the registry's front proxy, the CDN or the token server, for requests whose path matches, a
 * number of times or until cleared.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { decodeClaims } from "./jwt";
import type { LogEntry, RequestLog } from "./log";
import { close, listen, reply } from "./serve";

/** What can go wrong. */
export type Fault =
  /** Half the body, then the connection is reset. */
  | "close-mid-body"
  /** Half the body, then the connection is closed cleanly: fewer bytes than Content-Length. */
  | "short-body"
  /** The whole body with one byte flipped: right length, wrong digest. */
  | "wrong-bytes"
  /** The request is accepted and never answered. */
  | "hang-before-headers"
  /** Half the body, then nothing, with the connection left open. */
  | "hang-mid-body"
  | "status-500"
  | "status-503"
  /** 429 with `Retry-After: 1`, as Docker Hub's rate limit answers. */
  | "status-429"
  /** A 302 back to the same URL, forever. */
  | "redirect-loop"
  /** A 307 to a stranger: a host that is not the CDN, which answers 200 with bytes of its own. */
  | "redirect-elsewhere"
  /** Token server only: 200 with a JSON token body of OVERSIZE_BYTES, streamed as fast as it is read. */
  | "oversize-body";

/** Size of the "oversize-body" answer: far past any sane token (a few KiB), and past socket buffers. */
export const OVERSIZE_BYTES = 32 * 1024 * 1024;

/** Which part of the upstream misbehaves. */
export type FaultyServer = "registry" | "cdn" | "token";

/** One switch: this fault, at this server, for requests whose path (without query) matches. */
export interface FaultRule {
  server: FaultyServer;
  fault: Fault;
  /** Default: every path. */
  path?: RegExp;
  /** Only requests with this method (`GET`: a Docker Hub pull is counted on manifest GETs, not HEADs). */
  method?: string;
  /** Only requests without credentials: no Authorization, or a Bearer token issued to nobody (Docker Hub's anonymous pulls). */
  anonymous?: boolean;
  /** How many matching requests get the fault; default: until cleared. */
  times?: number;
}

const BODY_FAULTS = new Set<Fault>(["close-mid-body", "short-body", "wrong-bytes", "hang-mid-body", "oversize-body"]);
const STATUS: Partial<Record<Fault, number>> = { "status-500": 500, "status-503": 503, "status-429": 429 };

/** The fault switches of one upstream, shared by its registry front proxy and its CDN. */
export class FaultSwitch {
  #rules: (FaultRule & { left: number })[] = [];
  /** Responses held open by a hang, ended when the faults are cleared. */
  #held = new Set<ServerResponse>();

  constructor(readonly strangerUrl: string) {}

  /** Turns a fault on. */
  set(rule: FaultRule): void {
    this.#rules.push({ ...rule, left: rule.times ?? Infinity });
  }

  /** Turns every fault off and resets the connections hangs were holding. */
  clear(): void {
    this.#rules = [];
    for (const res of this.#held) res.destroy();
    this.#held.clear();
  }

  /** The fault this request gets, if any (using up one of its times). */
  take(server: FaultyServer, req: IncomingMessage): Fault | undefined {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const rule = this.#rules.find(
      (r) =>
        r.server === server &&
        r.left > 0 &&
        (r.path?.test(path) ?? true) &&
        (r.method === undefined || r.method === req.method) &&
        (r.anonymous !== true || isAnonymous(req.headers.authorization)),
    );
    if (rule === undefined) return undefined;
    rule.left--;
    return rule.fault;
  }

  /**
   * Answers the request when the fault is one of headers (a status, a hang, a redirect); returns false for a body
   * fault or none, which `pipe` applies once the real answer streams.
   */
  answer(fault: Fault | undefined, req: IncomingMessage, res: ServerResponse, entry: LogEntry): boolean {
    if (fault === undefined || BODY_FAULTS.has(fault)) return false;
    const status = STATUS[fault];
    if (status !== undefined) {
      entry.status = status;
      const body = JSON.stringify({
        errors: [{ code: status === 429 ? "TOOMANYREQUESTS" : "UNAVAILABLE", message: `injected ${fault}` }],
      });
      if (status === 429) res.setHeader("Retry-After", "1");
      reply(res, status, body);
    } else if (fault === "hang-before-headers") {
      this.#held.add(res);
    } else {
      const location = fault === "redirect-loop" ? (req.url ?? "/") : `${this.strangerUrl}${req.url ?? "/"}`;
      entry.status = fault === "redirect-loop" ? 302 : 307;
      res.writeHead(entry.status, { Location: location, "Content-Length": 0 });
      res.end();
    }
    return true;
  }

  /** Streams `source` to `res`, applying a body fault halfway through `length` bytes. */
  pipe(fault: Fault | undefined, source: Readable, res: ServerResponse, length: number): void {
    if (fault === "oversize-body") throw new Error("oversize-body is the token server's own fault (sendOversize)");
    if (fault === undefined || !BODY_FAULTS.has(fault)) {
      source.pipe(res);
      return;
    }
    const cut = Math.floor(length / 2);
    let sent = 0;
    let tripped = false;
    source.on("data", (chunk: Buffer) => {
      if (tripped) return;
      if (fault === "wrong-bytes") {
        const copy = Buffer.from(chunk);
        if (cut >= sent && cut < sent + copy.length)
          copy.writeUInt8((copy.readUInt8(cut - sent) ^ 0xff) & 0xff, cut - sent);
        sent += copy.length;
        res.write(copy);
        return;
      }
      const part = chunk.subarray(0, Math.max(0, cut - sent));
      sent += part.length;
      if (part.length > 0) res.write(part);
      if (sent < cut) return;
      tripped = true;
      source.destroy();
      if (fault === "close-mid-body") res.socket?.resetAndDestroy();
      else if (fault === "short-body") res.socket?.end();
      else this.#held.add(res);
    });
    source.on("end", () => {
      if (!tripped) res.end();
    });
    source.on("error", () => res.destroy());
  }
}

/** Whether a request carries no credentials: no Authorization, or a Bearer JWT whose subject is nobody. */
function isAnonymous(authorization: string | undefined): boolean {
  if (authorization === undefined) return true;
  const token = /^Bearer (.+)$/i.exec(authorization)?.[1];
  if (token === undefined) return false;
  try {
    return decodeClaims(token).sub === "";
  } catch {
    return false;
  }
}

/** A server that is neither registry nor CDN: answers every request 200 with 1 KiB of its own bytes. */
export async function startStranger(log: RequestLog): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const entry = log.open("stranger", req);
    entry.status = 200;
    const body = randomBytes(1024);
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  const url = await listen(server);
  return { url, stop: () => close(server) };
}

/**
 * Answers 200 with a JSON token body of OVERSIZE_BYTES (chunked: no Content-Length warns the reader), respecting
 * backpressure, and notes in `entry.sent` how much was written before the reader finished or hung up.
 */
export function sendOversize(res: ServerResponse, entry: LogEntry): void {
  entry.status = 200;
  entry.sent = 0;
  res.writeHead(200, { "Content-Type": "application/json" });
  const chunk = Buffer.alloc(64 * 1024, "a");
  const head = Buffer.from('{"token":"');
  const write = (): void => {
    while (entry.sent! < OVERSIZE_BYTES) {
      const part = entry.sent === 0 ? Buffer.concat([head, chunk.subarray(head.length)]) : chunk;
      entry.sent! += part.length;
      if (!res.write(part)) return void res.once("drain", write);
    }
    res.end('"}');
  };
  res.once("close", () => res.removeAllListeners("drain"));
  write();
}
