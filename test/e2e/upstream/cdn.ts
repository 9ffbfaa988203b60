/**
 * An imitation of the blob storage behind Docker Hub's redirects (S3 / Cloudflare R2 presigned URLs). It serves the
 * registry's own files under the storage path the redirect points at, and is as strict as the real thing: a request
 * that carries an Authorization header is refused with 400 (S3 allows one auth mechanism, and the URL already is
 * one), and a URL whose signature is missing, wrong or expired is refused with 403.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join, normalize } from "node:path";
import type { FaultSwitch } from "./faults";
import type { LogEntry, RequestLog } from "./log";
import { close, listen, reply } from "./serve";

/** How to run the CDN. */
export interface CdnOptions {
  /** The registry's filesystem storage root; request paths are relative to it. */
  root: string;
  /** Key of the URL signatures (shared with whoever signs the redirects). */
  secret: Buffer;
  log: RequestLog;
  faults: FaultSwitch;
}

/** A running CDN. */
export interface Cdn {
  url: string;
  /** Adds a `verify=<expiry>-<signature>` query, as Docker Hub's CDN URLs carry, to a URL on this CDN. */
  sign(location: string, ttlSeconds?: number): string;
  stop(): Promise<void>;
}

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Only the registry's blob data is published, never its repository metadata. */
const PUBLISHED = "/docker/registry/v2/blobs/";
const XML = "application/xml";

/** Starts the CDN on an ephemeral port of 127.0.0.1. */
export async function startCdn(options: CdnOptions): Promise<Cdn> {
  const server = createServer((req, res) => {
    const entry = options.log.open("cdn", req);
    serve(req, res, entry, options).catch((error: unknown) => {
      entry.status = 500;
      if (!res.headersSent) reply(res, 500, s3Error("InternalError", String(error)), XML);
      else res.destroy();
    });
  });
  const url = await listen(server);
  const sign = (location: string, ttlSeconds = 600): string => {
    const signed = new URL(location);
    const expiry = Math.floor(Date.now() / 1000) + ttlSeconds;
    signed.searchParams.set("verify", `${expiry}-${signature(options.secret, signed.pathname, expiry)}`);
    return signed.toString();
  };
  return { url, sign, stop: () => close(server) };
}

async function serve(req: IncomingMessage, res: ServerResponse, entry: LogEntry, options: CdnOptions): Promise<void> {
  const refuse = (status: number, code: string, message: string): void => {
    entry.status = status;
    reply(res, status, s3Error(code, message), XML);
  };
  const url = new URL(req.url ?? "/", "http://cdn.invalid");
  if (req.method !== "GET" && req.method !== "HEAD") return refuse(405, "MethodNotAllowed", "only GET and HEAD");
  if (req.headers.authorization !== undefined) {
    return refuse(400, "InvalidArgument", "Only one auth mechanism allowed; the URL is signed, drop Authorization");
  }
  if (!verify(options.secret, url)) return refuse(403, "AccessDenied", "missing, invalid or expired signature");
  const fault = options.faults.take("cdn", req);
  if (options.faults.answer(fault, req, res, entry)) return;
  const path = normalize(url.pathname);
  const size = path.startsWith(PUBLISHED) ? await fileSize(join(options.root, path)) : undefined;
  if (size === undefined) return refuse(404, "NoSuchKey", "The specified key does not exist.");
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    entry.status = 416;
    res.writeHead(416, { "Content-Range": `bytes */${size}`, "Content-Length": 0 });
    return void res.end();
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  entry.status = range === undefined ? 200 : 206;
  entry.bytes = end - start + 1;
  res.writeHead(entry.status, {
    "Content-Type": "application/octet-stream",
    "Content-Length": entry.bytes,
    "Accept-Ranges": "bytes",
    ...(range === undefined ? {} : { "Content-Range": `bytes ${start}-${end}/${size}` }),
  });
  if (req.method === "HEAD" || entry.bytes === 0) return void res.end();
  const file = createReadStream(join(options.root, path), { start, end, highWaterMark: 1 << 20 }).on("error", () =>
    res.destroy(),
  );
  options.faults.pipe(fault, file, res, entry.bytes);
}

/**
 * Parses a single `bytes=` range (RFC 9110 section 14.2). Anything else, including several ranges, is ignored and
 * the whole body is sent, which the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (match === null || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return "unsatisfiable";
  return end < start ? undefined : { start, end };
}

function verify(secret: Buffer, url: URL): boolean {
  const match = /^(\d+)-([0-9a-f]{64})$/.exec(url.searchParams.get("verify") ?? "");
  if (match === null || Number(match[1]) < Date.now() / 1000) return false;
  const expected = Buffer.from(signature(secret, url.pathname, Number(match[1])), "hex");
  return timingSafeEqual(expected, Buffer.from(match[2] ?? "", "hex"));
}

function signature(secret: Buffer, path: string, expiry: number): string {
  return createHmac("sha256", secret).update(`${expiry}:${path}`).digest("hex");
}

async function fileSize(path: string): Promise<number | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() === true ? info.size : undefined;
}

function s3Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>\n`;
}
