/**
 * One request log shared by the imitation registry, token server and CDN, so a test can count exactly what a pull
 * cost upstream. Entries are written when a request arrives and completed when its status is known, which is always
 * before the client can read the end of the response: a test never races the log.
 */
import type { IncomingMessage } from "node:http";
import { decodeClaims } from "./jwt";

/** Which part of the imitation upstream saw a request; the stranger is where a faulty redirect points. */
export type ServerName = "registry" | "token" | "cdn" | "index" | "stranger";

/** One request as seen by the imitation upstream. */
export interface LogEntry {
  server: ServerName;
  method: string;
  /** Path and query, exactly as received. */
  path: string;
  /** Response status; 0 while the upstream has not answered yet. */
  status: number;
  /** Whether the request carried an Authorization header. */
  authorization: boolean;
  /**
   * What that Authorization was: `bearer <issuer>` for a JWT (whose token service issued it), else its scheme
   * (`basic`, or `bearer` for a token that is no JWT of ours); absent without one.
   */
  credential?: string;
  /** Declared body length of the response (Content-Length), when it had one. */
  bytes?: number;
  /** Token server: the username it was asked to authenticate (HTTP Basic or the OAuth2 form), right or wrong. */
  login?: string;
  /** Bytes actually written, where a fault counts them ("oversize-body"). */
  sent?: number;
}

/** An append-only list of requests that the test can read and clear. */
export class RequestLog {
  #entries: LogEntry[] = [];

  /** Records a request as it arrives; the caller fills in status (and bytes) later. */
  open(server: ServerName, req: IncomingMessage): LogEntry {
    const entry: LogEntry = {
      server,
      method: req.method ?? "",
      path: req.url ?? "",
      status: 0,
      authorization: req.headers.authorization !== undefined,
    };
    const credential = describeCredential(req.headers.authorization);
    if (credential !== undefined) entry.credential = credential;
    this.#entries.push(entry);
    return entry;
  }

  /** A snapshot of every request since the last reset, oldest first. */
  entries(): LogEntry[] {
    return this.#entries.map((entry) => ({ ...entry }));
  }

  /** Forgets every request seen so far. */
  reset(): void {
    this.#entries = [];
  }
}

function describeCredential(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const [scheme = "", token = ""] = authorization.split(" ", 2);
  if (scheme.toLowerCase() !== "bearer") return scheme.toLowerCase();
  try {
    return `bearer ${String(decodeClaims(token).iss)}`;
  } catch {
    return "bearer";
  }
}
