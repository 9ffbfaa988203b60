/**
 * The work one manifest makes for its references is bounded (#21, item 3): a public manifest naming 15,000 digests,
 * fetched anonymously, makes a few records and a bounded number of probes ahead (well inside the free plan's 50
 * external subrequests per request), and the Worker keeps answering meanwhile. Counted, not timed, where it can be.
 */
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { ANONYMOUS, bearer, fakeHub, HUB, imageNaming, STORAGE_MODES, uniqueName } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

const REFERENCES = 15_000;
/** The most probes ahead one manifest may make: the free plan allows 50 external subrequests per request. */
const MOST_PROBES_AHEAD = 16;

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  it(`a public manifest naming ${REFERENCES} digests writes a few records, probes a bounded few, and /v2/ answers meanwhile`, {
    timeout: 60_000,
  }, async () => {
    const big = await imageNaming(`library/${uniqueName()}`, REFERENCES);
    expect(big.manifest.length).toBeGreaterThan(1024 * 1024);
    const hub = fakeHub({ images: [big] });
    const cachePuts = vi.spyOn(caches.default, "put");
    const bucket = env.BLOBS;
    if (!bucket) throw new Error("the worker project binds BLOBS");
    const bucketPuts = vi.spyOn(bucket, "put");
    // A budget that lets this manifest be stored, so the work after the answer is the real one.
    const vars = { ...bindings, CACHE_CPU_BUDGET_MS: "1000" };
    const path = `/v2/${big.repository}/manifests/big`;
    const response = await callWorker(
      `https://example.com${path}`,
      { headers: { authorization: bearer(ANONYMOUS, path) } },
      vars,
    );
    expect(response.status).toBe(200);
    expect((await response.text()).length).toBe(big.manifest.length);
    // While the background work runs, the version check still answers within a second.
    const started = Date.now();
    const ping = await callWorker("https://example.com/v2/", {}, vars);
    await ping.body?.cancel();
    expect(Date.now() - started).toBeLessThan(1000);
    await settled();
    const probes = hub.to(HUB).filter((r) => r.method === "HEAD" && r.url.pathname.includes("/blobs/"));
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.length).toBeLessThanOrEqual(MOST_PROBES_AHEAD);
    // The manifest's content (an entry and its pointer), its link and its tag record, plus nothing per reference
    // beyond the probes that found an object (none here: the registry holds none of these layers but the config).
    expect(cachePuts.mock.calls.length).toBeLessThanOrEqual(8);
    expect(bucketPuts.mock.calls.length).toBeLessThanOrEqual(4);
  });
});
