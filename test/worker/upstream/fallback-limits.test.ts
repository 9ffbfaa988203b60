/**
 * A fallback mirror's answer goes through the same upstream path as the route's own, with the same limits: with
 * UPSTREAM_IDLE_TIMEOUT_SECONDS set, a fallback body that stalls fails the client's read instead of hanging it.
 */
import { describe, expect, it, vi } from "vitest";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const VARS = { UPSTREAM_FALLBACKS: '{"docker": "https://mirror.gcr.io"}', UPSTREAM_IDLE_TIMEOUT_SECONDS: "0.1" };
const DIGEST = `sha256:${"7".repeat(64)}`;

const never = () => new Promise<void>(() => undefined);

/** A blob body that sends three bytes and then nothing, ever; records whether the Worker cancelled it. */
function stallingBody() {
  const state = { cancelled: false };
  let calls = 0;
  const body = new ReadableStream({
    type: "bytes",
    pull: (c) => (calls++ === 0 ? c.enqueue(new Uint8Array([1, 2, 3])) : never()),
    cancel: () => void (state.cancelled = true),
  });
  return { body, state };
}

describe("a fallback mirror gets the route's limits", () => {
  it("a fallback blob body that stalls fails the client's read within UPSTREAM_IDLE_TIMEOUT_SECONDS", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { body, state } = stallingBody();
    fakeUpstreams({
      [HUB]: () => new Response(null, { status: 429, headers: { "retry-after": "90" } }),
      "mirror.gcr.io": (_r, url) =>
        url.pathname === "/v2/" ? new Response("{}") : new Response(body, { headers: { "content-length": "1000" } }),
    });
    const response = await callWorker(`https://example.com/v2/alpine/blobs/${DIGEST}`, {}, VARS);
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (!reader) throw new Error("no body");
    expect((await reader.read()).value).toEqual(new Uint8Array([1, 2, 3]));
    const started = Date.now();
    // Without a watch the read never settles: the race turns that hang into a failure this test can report.
    const hung = new Promise((resolve) => setTimeout(() => resolve("still waiting after 2 s"), 2_000));
    const outcome = await Promise.race([
      reader.read().then(
        () => "read a chunk",
        (error: unknown) => error,
      ),
      hung,
    ]);
    expect(String(outcome)).toMatch(/no body bytes for 0.1 s/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(state.cancelled).toBe(true);
  });
});
