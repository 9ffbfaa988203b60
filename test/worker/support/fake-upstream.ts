/**
 * One fake for every outbound request of the Worker: routes by host to a handler, records what was sent, and
 * answers anything unexpected with a failed fetch (recorded too, so a test can assert none happened). There is no
 * wildcard: a test names every host it expects, even in properties whose upstreams name arbitrary hosts.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../../src/index";

/** What the Worker sent upstream. */
export interface SentRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

type Handler = (request: Request, url: URL) => Response | Promise<Response>;

/** Intercepts the Worker's fetches; `hosts` maps host (with port, if any) to a handler; any other host is unexpected. */
export function fakeUpstreams(hosts: Record<string, Handler>) {
  const sent: SentRequest[] = [];
  const unexpected: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.clone().text();
    sent.push({ method: request.method, url, headers: request.headers, body });
    const handler = Object.hasOwn(hosts, url.host) ? hosts[url.host] : undefined;
    if (!handler) {
      unexpected.push(url.href);
      throw new TypeError(`fake upstream: unexpected fetch to ${url.href}`);
    }
    return handler(request, url);
  });
  return {
    sent,
    unexpected,
    /** Requests sent to one host. */
    to: (host: string) => sent.filter((r) => r.url.host === host),
  };
}

/** Execution contexts of calls whose background work (cache writes) may still be running. */
const pending: ExecutionContext[] = [];

/**
 * Calls the Worker's fetch handler, with extra vars (or bindings, `undefined` to unbind) merged over wrangler.toml's.
 * Returns as soon as the Worker does; `settled()` waits for the work it left in ctx.waitUntil.
 */
export async function callWorker(
  input: string | Request,
  init?: RequestInit,
  vars: Record<string, unknown> = {},
): Promise<Response> {
  // A Request without init goes in as it is, so a test can hand over one whose URL no constructor would take.
  const request = input instanceof Request && init === undefined ? input : new Request(input, init);
  const ctx = createExecutionContext();
  pending.push(ctx);
  // The handler's type wants the cf properties a real edge request has; the tests' requests have none.
  return worker.fetch(request as Parameters<typeof worker.fetch>[0], { ...env, ...vars } as typeof env, ctx);
}

/**
 * A request whose URL is `raw`, as the runtime would spell it from a client's Host header, though no constructor takes
 * it (`http://a@b/`, `http://[::1/`); a function throws as the runtime does when it cannot spell the URL at all.
 */
export function withRawUrl(raw: string | (() => string), init: RequestInit = {}): Request {
  const request = new Request("https://example.com/", init);
  Object.defineProperty(request, "url", { get: typeof raw === "string" ? () => raw : raw });
  return request;
}

/** Waits until every call's waitUntil work (storing, probing) has finished. */
export async function settled(): Promise<void> {
  while (pending.length > 0) await waitOnExecutionContext(pending.shift()!);
}

/** POSTs an OAuth2 token form (`grant_type`, `username`, …) to the Worker, as docker login and containerd do. */
export function postTokenForm(url: string, fields: Record<string, string>): Promise<Response> {
  return callWorker(url, {
    method: "POST",
    body: new URLSearchParams(fields),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}

/** A JSON response with a body and extra headers. */
export function json(body: unknown, init: ResponseInit = {}): Response {
  const text = JSON.stringify(body);
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return new Response(text, { ...init, headers });
}

/** sha256 of some bytes as an OCI digest. */
export async function digestOf(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return `sha256:${[...hash].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Docker Hub's challenge as registry-1.docker.io sends it. */
export const HUB_CHALLENGE = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"';
