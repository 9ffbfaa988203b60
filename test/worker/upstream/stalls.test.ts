import { describe, expect, it, vi } from "vitest";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const BLOB = `https://example.com/v2/alpine/blobs/sha256:${"5".repeat(64)}`;
const IDLE = { UPSTREAM_IDLE_TIMEOUT_SECONDS: "0.1" };

/**
 * An upstream blob body made by `pull`, a byte stream like a real fetch body (or a plain stream, which the watch
 * reads chunk by chunk); records whether the Worker cancelled it.
 */
function upstreamBody(
  pull: (controller: { enqueue(chunk: Uint8Array): void; close(): void }, calls: number) => Promise<void> | void,
  { length = 1000, bytes = true } = {},
) {
  const state = { cancelled: false, calls: 0 };
  const cancel = () => void (state.cancelled = true);
  const body = bytes
    ? new ReadableStream({ type: "bytes", pull: (c) => pull(c, state.calls++), cancel })
    : new ReadableStream<Uint8Array>({ pull: (c) => pull(c, state.calls++), cancel }, { highWaterMark: 0 });
  fakeUpstreams({ [HUB]: () => new Response(body, { headers: { "content-length": String(length) } }) });
  return state;
}

const never = () => new Promise<void>(() => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("UPSTREAM_IDLE_TIMEOUT_SECONDS", () => {
  it("a body that stalls mid-way fails the client's read after the idle time and cancels the upstream", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const state = upstreamBody((c, calls) => (calls === 0 ? c.enqueue(new Uint8Array([1, 2, 3])) : never()));
    const response = await callWorker(BLOB, {}, IDLE);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1, 2, 3]));
    const started = Date.now();
    await expect(reader.read()).rejects.toThrow(/no body bytes for 0.1 s/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(state.cancelled).toBe(true);
  });

  it("a slow client is not a stalled upstream: the clock runs only while the client waits for bytes", async () => {
    upstreamBody((c, calls) => (calls < 3 ? c.enqueue(new Uint8Array([calls])) : c.close()), { length: 3 });
    const response = await callWorker(BLOB, {}, IDLE);
    const reader = response.body!.getReader();
    const seen: number[] = [];
    for (;;) {
      await sleep(250); // longer than the idle time, between every read
      const { done, value } = await reader.read();
      if (done) break;
      seen.push(...value);
    }
    expect(seen).toEqual([0, 1, 2]);
  });

  it("a body that trickles, each chunk inside the idle time, arrives whole (a plain stream, read chunk by chunk)", async () => {
    upstreamBody(
      async (c, calls) => {
        await sleep(40);
        if (calls < 5) c.enqueue(new Uint8Array([calls]));
        else c.close();
      },
      { length: 5, bytes: false },
    );
    const response = await callWorker(BLOB, {}, IDLE);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0, 1, 2, 3, 4]);
  });

  it("a watched body that ends short of its Content-Length fails the client's read instead of ending cleanly", async () => {
    upstreamBody((c, calls) => (calls === 0 ? c.enqueue(new Uint8Array([1, 2, 3])) : c.close()));
    const response = await callWorker(BLOB, {}, IDLE);
    expect(response.headers.get("content-length")).toBe("1000");
    await expect(response.arrayBuffer()).rejects.toThrow();
  });

  it("a HEAD that a presigned URL answered as GET is not watched: its body is cancelled at once", async () => {
    const CDN = "production.cloudflare.docker.com";
    let cancelled = false;
    fakeUpstreams({
      [HUB]: () =>
        new Response(null, { status: 307, headers: { location: `https://${CDN}/blob?X-Amz-Signature=sig` } }),
      [CDN]: (request) =>
        request.method === "GET"
          ? new Response(
              new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(8)), cancel: () => void (cancelled = true) }),
              { headers: { "content-length": "1000" } },
            )
          : new Response(null, { status: 403 }),
    });
    const head = await callWorker(BLOB, { method: "HEAD" }, IDLE);
    expect(head.status).toBe(200);
    expect(cancelled).toBe(true);
  });

  it("0 turns the watch off: a pause longer than any idle time is waited out", async () => {
    upstreamBody(
      async (c, calls) => {
        if (calls === 1) await sleep(300);
        if (calls < 2) c.enqueue(new Uint8Array([calls]));
        else c.close();
      },
      { length: 2 },
    );
    const response = await callWorker(BLOB, {}, { UPSTREAM_IDLE_TIMEOUT_SECONDS: "0" });
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0, 1]);
  });
});
