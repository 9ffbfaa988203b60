/**
 * Nothing wrong is ever stored: bytes that do not hash to the digest they were asked by, a download that breaks, or
 * one cut short reach the client as the upstream sent them (clients verify digests themselves), and the next request
 * goes upstream again. A mismatch is logged.
 */
import { beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { HUB, MANIFEST_TYPE, STORAGE_MODES, uniqueName } from "../support/fake-registry";
import { callWorker, digestOf, fakeUpstreams, settled } from "../support/fake-upstream";

/** A client's token; the upstreams here do not check it. */
const ANONYMOUS = "Bearer anonymous";

let errors: MockInstance<typeof console.error>;
beforeEach(() => {
  // The store's "not stored" lines are expected here; the mismatch test reads them through this spy.
  errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

/** A body of `declared` bytes (so it has a known length, as fetched bodies do) that sends `bytes` and then ends or breaks. */
function lengthStream(declared: number, bytes: Uint8Array, end: "close" | "abort"): ReadableStream {
  const { readable, writable } = new FixedLengthStream(declared);
  const writer = writable.getWriter();
  void (async () => {
    await writer.write(bytes);
    if (end === "abort") await writer.abort(new Error("upstream connection reset"));
    else await writer.close().catch(() => undefined);
  })().catch(() => undefined);
  return readable;
}

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  const call = (path: string, init: RequestInit = {}) =>
    callWorker(
      `https://example.com${path}`,
      { ...init, headers: { authorization: ANONYMOUS, ...init.headers } },
      bindings,
    );

  it("a blob whose bytes hash to another digest is passed on but not stored, and the mismatch is logged", async () => {
    const requested = await digestOf(crypto.getRandomValues(new Uint8Array(64)));
    const served = crypto.getRandomValues(new Uint8Array(4096));
    const fake = fakeUpstreams({
      [HUB]: () => new Response(served, { headers: { "content-length": String(served.length) } }),
    });
    const path = `/v2/library/${uniqueName()}/blobs/${requested}`;
    expect(new Uint8Array(await (await call(path)).arrayBuffer())).toEqual(served);
    await settled();
    const again = await call(path);
    await again.arrayBuffer();
    expect(again.headers.get("x-cache")).toBe("MISS");
    expect(fake.to(HUB).filter((r) => r.method === "GET")).toHaveLength(2);
    const logged = errors.mock.calls.map((args) => String(args[0])).find((line) => line.includes("digest mismatch"));
    expect(JSON.parse(logged!)).toMatchObject({
      msg: "digest mismatch: not stored",
      expected: requested,
      object: requested,
    });
  });

  it("a manifest by digest with other bytes is not stored", async () => {
    const requested = await digestOf("the real manifest");
    const fake = fakeUpstreams({
      [HUB]: () => new Response('{"schemaVersion":2}', { headers: { "content-type": MANIFEST_TYPE } }),
    });
    const path = `/v2/library/${uniqueName()}/manifests/${requested}`;
    await (await call(path)).text();
    await settled();
    expect((await call(path)).headers.get("x-cache")).toBe("MISS");
    expect(fake.to(HUB).filter((r) => r.method === "GET")).toHaveLength(2);
  });

  it("a manifest by tag whose Docker-Content-Digest does not match its bytes is not stored", async () => {
    const fake = fakeUpstreams({
      [HUB]: async () =>
        new Response('{"schemaVersion":2}', {
          headers: { "content-type": MANIFEST_TYPE, "docker-content-digest": await digestOf("other bytes") },
        }),
    });
    const path = `/v2/library/${uniqueName()}/manifests/latest`;
    await (await call(path)).text();
    await settled();
    expect((await call(path)).headers.get("x-cache")).toBe("MISS");
    expect(fake.to(HUB).filter((r) => r.method === "GET")).toHaveLength(2);
  });

  it.each([
    ["breaks off", "abort"],
    ["ends early", "close"],
  ] as const)("a blob download that %s is not stored", async (_label, end) => {
    const layer = crypto.getRandomValues(new Uint8Array(8192));
    const digest = await digestOf(layer);
    const fake = fakeUpstreams({
      [HUB]: () =>
        new Response(lengthStream(layer.length, layer.slice(0, 1000), end), {
          headers: { "content-length": String(layer.length) },
        }),
    });
    const path = `/v2/library/${uniqueName()}/blobs/${digest}`;
    const first = await call(path);
    await first.arrayBuffer().catch(() => undefined);
    await settled();
    fake.sent.length = 0;
    const complete = fakeUpstreams({
      [HUB]: () => new Response(layer, { headers: { "content-length": String(layer.length) } }),
    });
    const again = await call(path);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(layer);
    expect(again.headers.get("x-cache")).toBe("MISS");
    expect(complete.to(HUB).filter((r) => r.method === "GET")).toHaveLength(1);
  });
});
