/**
 * An UPSTREAMS entry at an internal address: whatever fails on the way there, the client is told the route, never
 * the address. The fake answers every way an upstream, its realm or its index can fail; none of its own texts names
 * its address, so any address in a response was put there by the Worker. Nothing here touches the network.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../support/arbitraries";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const REGISTRY = "10.1.2.3:5000";
const INDEX = "10.1.2.4:5001";
const ADDRESSES = ["10.1.2.3", "10.1.2.4"];
const digest = `sha256:${"c".repeat(64)}`;

beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

type Fault = (request: Request) => Response | Promise<Response>;
const faults: Record<string, Fault> = {
  unreachable: () => Promise.reject(new TypeError("connection refused")),
  timeout: (request) =>
    new Promise((_resolve, reject) => request.signal.addEventListener("abort", () => reject(new Error("aborted")))),
  "429": () => new Response("slow down", { status: 429 }),
  "429 with Retry-After": () => new Response("slow down", { status: 429, headers: { "retry-after": "7" } }),
  "500": () => new Response("oops", { status: 500 }),
  "503": () => new Response("down", { status: 503 }),
  "bearer 401": () =>
    new Response("{}", {
      status: 401,
      headers: { "www-authenticate": `Bearer realm="http://${REGISTRY}/token",service="corp"` },
    }),
  "basic 401": () => new Response("{}", { status: 401, headers: { "www-authenticate": 'Basic realm="corp"' } }),
  "unknown scheme 401": () => new Response("{}", { status: 401, headers: { "www-authenticate": "Negotiate" } }),
  "403": () => new Response("{}", { status: 403 }),
  "404": () => new Response("{}", { status: 404 }),
  "redirect loop": (request) => new Response(null, { status: 307, headers: { location: request.url } }),
  "redirect to nowhere": () => new Response(null, { status: 302, headers: { location: "http://[bad" } }),
  "redirect to ftp": () => new Response(null, { status: 302, headers: { location: "ftp://files/x" } }),
  "redirect to a refusing store": () =>
    new Response(null, { status: 307, headers: { location: "http://10.1.2.3:9000/blob?sig=1" } }),
  "not a token": () => new Response("<html>", { status: 200 }),
  ok: () => Response.json({ token: "t", name: "x", tags: [] }),
};
const fault = fc.constantFrom(...Object.keys(faults));
/** Every fault, the realm's own challenge naming its address included: /token points it back at the mirror. */
const realmFault = fc.constantFrom(...Object.keys(faults));

const paths = fc.constantFrom(
  "/v2/",
  "/v2/team/app/manifests/latest",
  `/v2/team/app/manifests/${digest}`,
  `/v2/team/app/blobs/${digest}`,
  "/v2/team/app/tags/list?n=10",
  `/v2/team/app/referrers/${digest}`,
  "/token?service=corp&scope=repository:team/app:pull",
  "/v1/search?q=app&n=5",
);
const settings = fc.constantFrom<Record<string, string>>(
  {},
  { UPSTREAM_CREDENTIALS: '{"corp": {"username": "u", "password": "p"}}', SHARE_UPSTREAM_CREDENTIALS: "true" },
  { CACHE: "off" },
);

describe("an UPSTREAMS entry at an internal address", () => {
  it("never shows up in a response body or header, whatever the upstream, its realm or its index do", {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    let cases = 0;
    await checkProperty(
      fc.asyncProperty(
        paths,
        fc.array(fault, { minLength: 1, maxLength: 4 }),
        realmFault,
        fault,
        settings,
        fc.constantFrom("GET", "HEAD"),
        async (path, registryFaults, realmFault, indexFault, extra, method) => {
          cases++;
          let call = 0;
          fakeUpstreams({
            [REGISTRY]: (request, url) =>
              (url.pathname === "/token"
                ? faults[realmFault]!
                : faults[registryFaults[call++ % registryFaults.length]!]!)(request),
            [INDEX]: (request) => faults[indexFault]!(request),
            "10.1.2.3:9000": () =>
              new Response("refused", {
                status: 401,
                headers: { "www-authenticate": 'Bearer realm="http://10.1.2.3:9000/t"' },
              }),
          });
          const vars = {
            UPSTREAMS: JSON.stringify({ corp: { registry: `http://${REGISTRY}`, index: `http://${INDEX}` } }),
            UPSTREAM_TIMEOUT_SECONDS: "0.02",
            ...extra,
          };
          const response = await callWorker(`https://corp.example.com${path}`, { method }, vars);
          const seen = `${response.status} ${[...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${await response.text()}`;
          for (const address of ADDRESSES) expect(seen).not.toContain(address);
        },
      ),
    );
    expect(cases).toBeGreaterThan(0);
  });

  it("a realm's own 401 challenge reaches the client pointed at the mirror's /token, not at the realm's address", async () => {
    const challenge = `Bearer realm="http://${REGISTRY}/token",service="corp"`;
    fakeUpstreams({
      [REGISTRY]: () => new Response("{}", { status: 401, headers: { "www-authenticate": challenge } }),
    });
    const response = await callWorker(
      "https://corp.example.com/token?service=corp&scope=repository:team/app:pull",
      {},
      { UPSTREAMS: JSON.stringify({ corp: { registry: `http://${REGISTRY}` } }) },
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="https://corp.example.com/token",service="corp"',
    );
  });

  it("a failure names the route for the client, and the log keeps the URL", async () => {
    fakeUpstreams({ [REGISTRY]: faults.unreachable! });
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await callWorker(
      "https://corp.example.com/v2/team/app/tags/list",
      {},
      { UPSTREAMS: JSON.stringify({ corp: { registry: `http://${REGISTRY}` } }) },
    );
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      errors: [
        {
          code: "UNAVAILABLE",
          message: "upstream of route corp: could not reach the upstream",
          detail: { route: "corp" },
        },
      ],
    });
    expect(logged.mock.calls.map(([line]) => String(line)).join("\n")).toContain(
      `http://${REGISTRY}/v2/team/app/tags/list`,
    );
  });
});
