/**
 * An imitation of auth.docker.io: the token endpoint of the distribution token spec, both the GET form with HTTP Basic
 * credentials and the OAuth2 POST form (password and refresh_token grants).
 * https://distribution.github.io/distribution/spec/auth/token/ and .../spec/auth/oauth/
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { Certificate } from "../support/tls";
import { type FaultSwitch, sendOversize } from "./faults";
import { grantAccess, parseScopes, type Role, type Visibility } from "./grants";
import { type Access, createSigner, type Signer } from "./jwt";
import type { LogEntry, RequestLog } from "./log";
import { close, listen, reply } from "./serve";

/** A user the token server knows. */
export interface Account {
  username: string;
  password: string;
  role: Exclude<Role, "anonymous">;
}

/** How to run the token server. */
export interface TokenServerOptions {
  cert: Certificate;
  issuer: string;
  /** Audience used when a request names no service. */
  service: string;
  accounts: Account[];
  /** Whether a repository exists and is private; only the admin gets access to one that does not exist. */
  visibility: Visibility;
  log: RequestLog;
  /** Its switches: a stall before headers or mid-body, an oversized body, 5xx, 429 (server "token"). */
  faults: FaultSwitch;
  ttlSeconds?: number | undefined;
}

/** A running token server. */
export interface TokenServer {
  /** The realm to advertise in `WWW-Authenticate`. */
  realm: string;
  stop(): Promise<void>;
}

interface Context extends TokenServerOptions {
  sign: Signer;
  refreshTokens: Map<string, Account>;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const BAD_CREDENTIALS: Answer = { status: 401, body: { details: "incorrect username or password" } };
const FORM_LIMIT = 64 * 1024;

/** Starts the token server on an ephemeral port of 127.0.0.1. */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const context: Context = { ...options, sign: createSigner(options.cert, options.issuer), refreshTokens: new Map() };
  const server = createServer((req, res) => {
    const entry = options.log.open("token", req);
    const fault = options.faults.take("token", req);
    if (options.faults.answer(fault, req, res, entry)) return void req.resume();
    answer(req, context, entry)
      .catch((error: unknown): Answer => ({ status: 500, body: { details: String(error) } }))
      .then(({ status, body }) => {
        const text = JSON.stringify(body);
        entry.status = status;
        entry.bytes = Buffer.byteLength(text);
        if (fault === "oversize-body") return sendOversize(res, entry);
        if (fault === undefined) return reply(res, status, text);
        res.writeHead(status, { "Content-Type": "application/json", "Content-Length": entry.bytes });
        options.faults.pipe(fault, Readable.from([Buffer.from(text)]), res, entry.bytes);
      });
  });
  const url = await listen(server);
  return { realm: `${url}/token`, stop: () => close(server) };
}

async function answer(req: IncomingMessage, context: Context, entry: LogEntry): Promise<Answer> {
  const url = new URL(req.url ?? "/", "http://token.invalid");
  if (url.pathname !== "/token") return { status: 404, body: { details: "not found" } };
  const basic = basicCredentials(req.headers.authorization);
  if (basic !== undefined) entry.login = basic.username;
  if (req.method === "GET") return answerGet(req, url, context);
  if (req.method === "POST") {
    const form = await readForm(req);
    const login = form.get("username") ?? (form.has("refresh_token") ? "(refresh token)" : null);
    if (login !== null) entry.login = login;
    return answerPost(form, context);
  }
  return { status: 405, body: { details: "method not allowed" } };
}

function answerGet(req: IncomingMessage, url: URL, context: Context): Answer {
  const header = req.headers.authorization;
  const account = header === undefined ? undefined : checkBasic(header, context.accounts);
  if (header !== undefined && account === undefined) return BAD_CREDENTIALS;
  const scopes = parseScopes(url.searchParams.getAll("scope"));
  const service = url.searchParams.get("service") ?? context.service;
  const offline = url.searchParams.get("offline_token") === "true";
  const { fields } = issue(context, account, service, scopes, offline);
  // The GET form answers with both names for the token; clients read either.
  return { status: 200, body: { token: fields.access_token, ...fields } };
}

function answerPost(form: URLSearchParams, context: Context): Answer {
  const grant = form.get("grant_type");
  let account: Account | undefined;
  if (grant === "password") {
    account = context.accounts.find((a) => a.username === form.get("username") && a.password === form.get("password"));
  } else if (grant === "refresh_token") {
    account = context.refreshTokens.get(form.get("refresh_token") ?? "");
  } else {
    return { status: 400, body: { error: "unsupported_grant_type" } };
  }
  if (account === undefined) return BAD_CREDENTIALS;
  const scopes = parseScopes([form.get("scope") ?? ""]);
  const service = form.get("service") ?? context.service;
  const { access, fields } = issue(context, account, service, scopes, form.get("access_type") === "offline");
  // Like auth.docker.io, the OAuth2 form has no "token" field: a client that reads only "token" must fail here.
  // Its "scope" is what was granted, which may be less than what was asked for.
  return { status: 200, body: { ...fields, scope: access.map(formatScope).join(" ") } };
}

/** A new token: what it grants, and the response fields both forms share. */
interface Issued {
  access: Access[];
  fields: { access_token: string; expires_in: number; issued_at: string; refresh_token?: string };
}

function issue(
  context: Context,
  account: Account | undefined,
  service: string,
  scopes: Access[],
  offline: boolean,
): Issued {
  const ttl = context.ttlSeconds ?? 300;
  const access = grantAccess(account?.role ?? "anonymous", scopes, context.visibility);
  const token = context.sign({ subject: account?.username ?? "", audience: service, access, ttlSeconds: ttl });
  const fields: Issued["fields"] = { access_token: token, expires_in: ttl, issued_at: new Date().toISOString() };
  // Refresh tokens are only for named accounts that ask for one (offline_token=true or access_type=offline).
  if (offline && account !== undefined) fields.refresh_token = newRefreshToken(context, account);
  return { access, fields };
}

function newRefreshToken(context: Context, account: Account): string {
  const token = randomBytes(24).toString("hex");
  context.refreshTokens.set(token, account);
  return token;
}

function checkBasic(header: string, accounts: Account[]): Account | undefined {
  const given = basicCredentials(header);
  return given === undefined
    ? undefined
    : accounts.find((a) => a.username === given.username && a.password === given.password);
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function formatScope(scope: Access): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(",")}`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > FORM_LIMIT) throw new Error("form body too large");
  }
  return new URLSearchParams(body);
}
