import { describe, expect, it, vi } from "vitest";
import { ACCOUNT, AUTH, fakeHub, makeImage, uniqueName } from "../support/fake-registry";
import { callWorker, fakeUpstreams, json, settled } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const SHARED = {
  DOCKERHUB_USERNAME: ACCOUNT.username,
  DOCKERHUB_TOKEN: ACCOUNT.password,
  SHARE_UPSTREAM_CREDENTIALS: "true",
};
const CHUNK = 4096;
const never = () => new Promise<void>(() => undefined);
/** Long enough to be endless next to any cap here, short enough that a reader without one finishes and is caught. */
const ENDLESS_BYTES = 1024 * 1024;

/** A body that sends `first` and then whatever `pull` does; `highWaterMark: 0`, so nothing is read ahead of the reader. */
function body(
  pull: (controller: ReadableStreamDefaultController<Uint8Array>) => Promise<void> | void,
  counter = { pulled: 0 },
) {
  return new ReadableStream<Uint8Array>(
    {
      pull: (controller) => {
        counter.pulled += CHUNK;
        return pull(controller);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Docker Hub whose token service answers with `token()` (a Response), and whose registry accepts any Bearer token. */
function hubWithTokens(token: () => Response) {
  return fakeUpstreams({
    [AUTH]: token,
    [HUB]: (request) =>
      request.headers.get("authorization")?.startsWith("Bearer ")
        ? new Response("{}", { headers: { "content-type": "application/json" } })
        : new Response(null, {
            status: 401,
            headers: { "www-authenticate": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"' },
          }),
  });
}

describe("every token fetch is bounded in time and size", () => {
  it("a token body that stalls fails that request within the deadline, waiters included, and the next request succeeds", {
    timeout: 15_000,
  }, async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    let stall = true;
    const fake = hubWithTokens(() =>
      stall
        ? new Response(body(async (c) => (c.enqueue(new TextEncoder().encode('{"tok')), await never())))
        : json({ token: "t", expires_in: 300 }),
    );
    const vars = { ...SHARED, UPSTREAM_TIMEOUT_SECONDS: "1" };
    const started = Date.now();
    const stalled = await Promise.all(
      [1, 2, 3].map(() => callWorker("https://example.com/v2/team/app/tags/list", {}, vars)),
    );
    // One second each, whoever's fetch they waited for: nobody hangs with the stalled first request.
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(stalled.map((r) => r.status)).toEqual([504, 504, 504]);
    // The waiters shared the first fetch; one that saw it fail may have started a second within its own time.
    expect(fake.to(AUTH).length).toBeLessThanOrEqual(2);
    stall = false;
    expect((await callWorker("https://example.com/v2/team/app/tags/list", {}, vars)).status).toBe(200);
  });

  it("an endless token body is refused after reading at most the cap (64 KiB) plus one chunk", {
    timeout: 15_000,
  }, async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const counter = { pulled: 0 };
    hubWithTokens(
      () =>
        new Response(
          body(
            (c) => (counter.pulled > ENDLESS_BYTES ? c.close() : c.enqueue(new Uint8Array(CHUNK).fill(0x20))),
            counter,
          ),
        ),
    );
    const response = await callWorker("https://example.com/v2/team/app/tags/list", {}, SHARED);
    expect(counter.pulled).toBeLessThanOrEqual(64 * 1024 + CHUNK);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { errors: { message: string }[] }).errors[0]!.message).toBe(
      "upstream of route docker: its token service answered with more than 64 KiB",
    );
  });

  it("an endless POST to /token with mirror users is refused with 413 after reading at most 16 KiB plus one chunk", {
    timeout: 15_000,
  }, async () => {
    const counter = { pulled: 0 };
    const endless = body(
      (c) => (counter.pulled > ENDLESS_BYTES ? c.close() : c.enqueue(new Uint8Array(CHUNK).fill(0x61))),
      counter,
    );
    const users = { MIRROR_USERS: "alice:alice-password", MIRROR_TOKEN_SECRET: "s".repeat(32) };
    const response = await callWorker(
      "https://example.com/token",
      { method: "POST", body: endless, headers: { "content-type": "application/x-www-form-urlencoded" } },
      users,
    );
    expect(response.status).toBe(413);
    expect(counter.pulled).toBeLessThanOrEqual(16 * 1024 + CHUNK);
  });
});

describe("tokens are shared", () => {
  it("a two-layer pull through the owner's token, layers concurrent, makes at most one owner and one anonymous token request (x10)", {
    timeout: 30_000,
  }, async () => {
    for (let round = 0; round < 10; round++) {
      const repository = `team/${uniqueName()}`;
      const [first, second] = [await makeImage(repository, "1"), await makeImage(repository, "2")];
      // A token service that takes 50 ms, so the three visibility probes (manifest, two layers) overlap.
      const hub = fakeHub({ images: [first!, second!], tokenDelayMs: 50 });
      const pull = (path: string) => callWorker(`https://example.com/v2/${repository}/${path}`, {}, SHARED);
      const manifest = await pull("manifests/1");
      expect(manifest.status).toBe(200);
      await manifest.arrayBuffer();
      const layers = await Promise.all([pull(`blobs/${first!.layerDigest}`), pull(`blobs/${second!.layerDigest}`)]);
      expect(layers.map((r) => r.status)).toEqual([200, 200]);
      await Promise.all(layers.map((r) => r.arrayBuffer()));
      await settled();
      const tokens = hub.to(AUTH).map((r) => (r.headers.has("authorization") ? "owner" : "anonymous"));
      expect(tokens.filter((t) => t === "owner").length, `round ${round}: ${tokens.join(", ")}`).toBeLessThanOrEqual(1);
      expect(
        tokens.filter((t) => t === "anonymous").length,
        `round ${round}: ${tokens.join(", ")}`,
      ).toBeLessThanOrEqual(1);
      vi.restoreAllMocks();
    }
  });
});
