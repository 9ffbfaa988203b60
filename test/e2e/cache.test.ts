/**
 * The edge cache through the running Worker (wrangler's local runtime and its Cache API), with skopeo: a second
 * pull of an image touches the upstream for at most one HEAD per tag and no manifest or blob GET, the bytes still
 * verify, and with the upstream stopped a cached image still pulls. On the shipped defaults (no R2, a 10 ms CPU
 * budget) that includes library/large, whose four 12 MB layers are beyond what the Worker can hash in 10 ms: they are kept
 * length-checked. (The bench pulls four 40 MB layers the same way and times them against direct pulls.) Tags are made stale after 1 s here
 * (TAG_TTL_SECONDS), so the second pull shows the revalidation HEAD rather than no request at all.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as skopeo from "./clients/skopeo";
import { expectSameImage, manifestFor } from "./support/expect-image";
import {
  DOCKER_SUBDOMAIN,
  ensureNames,
  MIRROR_DOMAIN,
  NAMES,
  namesSkipReason,
  UNKNOWN_SUBDOMAIN,
} from "./support/names";
import { requires, stackSkipReason } from "./support/prerequisites";
import {
  askWorker,
  type Stack,
  startStack,
  summarizeRequests,
  workerRequests,
  workerRequestsFor,
} from "./support/stack";
import type { FixtureImage, LogEntry } from "./upstream";

const skip = requires("the cache suite", skopeo.skipReason(), stackSkipReason(), namesSkipReason());
const TAG_TTL_MS = 1000;
/** library/large here: four 12 MB layers, each beyond what the Worker hashes in 10 ms, and small enough for CI. */
const LARGE_MB = 48;

/** What would make Docker Hub count a pull or send bytes: a manifest or blob GET, or anything at the CDN. */
function objectFetches(log: LogEntry[]): string[] {
  return log
    .filter((e) => e.server === "cdn" || (e.method === "GET" && /\/(manifests|blobs)\//.test(e.path)))
    .map((e) => `${e.server} ${e.method} ${e.path}`);
}

/** Every digest an image's pull reads: the tagged manifest, and each image manifest's own, config and layers. */
function digestsOf(image: FixtureImage): { manifests: string[]; blobs: string[] } {
  const manifests = new Set([image.digest, ...image.manifests.map((m) => m.digest)]);
  const blobs = new Set(image.manifests.flatMap((m) => [m.config.digest, ...m.layers.map((l) => l.digest)]));
  return { manifests: [...manifests], blobs: [...blobs] };
}

describe.skipIf(skip)("the edge cache, pulled through by skopeo", () => {
  let stack: Stack;
  const costs: Record<string, Record<string, number>> = {};
  const client = () => ({ mirror: stack.worker.host, caCertPath: stack.caCertPath, workDir: stack.workDir });

  beforeAll(async () => {
    ensureNames();
    stack = await startStack("cache", {
      vars: { TAG_TTL_SECONDS: String(TAG_TTL_MS / 1000) },
      dnsNames: NAMES,
      largeMb: LARGE_MB,
    });
  });
  afterAll(async () => {
    console.log(`upstream requests per skopeo copy through the caching mirror:\n${JSON.stringify(costs, null, 1)}`);
    await stack?.stop();
  });

  /** Waits until the Worker has stored (and shared) every manifest and blob of an image: it stores after answering. */
  async function waitUntilCached(image: FixtureImage): Promise<void> {
    const { manifests, blobs } = digestsOf(image);
    const paths = [
      ...manifests.map((d) => `/v2/${image.repository}/manifests/${d}`),
      ...blobs.map((d) => `/v2/${image.repository}/blobs/${d}`),
    ];
    const deadline = Date.now() + 20_000;
    for (const path of paths) {
      while ((await askWorker(stack, "HEAD", path)).xCache !== "HIT") {
        if (Date.now() > deadline) throw new Error(`${path} was not cached in time`);
        await sleep(50);
      }
    }
  }

  it.each([
    ["a single-platform image", "alpine", "library/alpine:latest", false],
    ["a multi-platform index with --all", "multi", "library/multi:latest", true],
  ] as const)(
    "a second pull of %s makes no manifest or blob GET upstream, one HEAD per tag, and verifies",
    async (_label, name, reference, all) => {
      const pushed = stack.upstream.images[name];
      const cold = await skopeo.copy({ ...client(), reference, all });
      expect(cold.digest).toBe(pushed.digest);
      costs[`cold ${reference}`] = summarizeRequests(stack.upstream.log());
      await waitUntilCached(pushed);
      await sleep(TAG_TTL_MS + 100); // the tag's record is stale now, so this pull revalidates it
      stack.upstream.resetLog();
      const mark = stack.worker.output().length;
      const warm = await skopeo.copy({ ...client(), reference, all });
      expect(warm.digest).toBe(pushed.digest);
      for (const image of warm.images)
        expectSameImage(image, manifestFor(pushed, all ? image.platform!.architecture : undefined));
      const log = stack.upstream.log();
      costs[`warm ${reference}`] = summarizeRequests(log);
      expect(objectFetches(log)).toEqual([]);
      expect(log.filter((e) => e.method === "HEAD").map((e) => e.path)).toEqual([
        `/v2/${pushed.repository}/manifests/${pushed.tag}`,
      ]);
      const answers = workerRequests(stack, mark).filter((r) => /\/(manifests|blobs)\//.test(r.path));
      expect(answers.map((r) => r.cache)).toEqual(
        answers.map((r) => (r.path.endsWith(`/manifests/${pushed.tag}`) ? "REVALIDATED" : "HIT")),
      );
    },
  );

  it("an image pulled through docker.<domain> is then pulled through the bare domain and an unknown label with no manifest or blob GET upstream", async () => {
    const pushed = stack.upstream.images.redis;
    const reference = `${pushed.repository}:${pushed.tag}`;
    const port = new URL(stack.worker.origin).port;
    const through = (name: string) => ({ ...client(), mirror: `${name}:${port}` });
    const cold = await skopeo.copy({ ...through(DOCKER_SUBDOMAIN), reference });
    expect(cold.digest).toBe(pushed.digest);
    expect(objectFetches(stack.upstream.log()).length).toBeGreaterThan(0);
    await waitUntilCached(pushed);
    for (const name of [MIRROR_DOMAIN, UNKNOWN_SUBDOMAIN]) {
      stack.upstream.resetLog();
      const warm = await skopeo.copy({ ...through(name), reference });
      expect(warm.digest).toBe(pushed.digest);
      expectSameImage(warm.images[0]!, manifestFor(pushed));
      costs[`warm ${reference} via ${name}`] = summarizeRequests(stack.upstream.log());
      expect([name, objectFetches(stack.upstream.log())]).toEqual([name, []]);
    }
  });

  it("on the shipped defaults (free plan, no R2), the large image's layers, too big to hash in 10 ms, are kept: a second pull makes no manifest or blob GET upstream", async () => {
    const pushed = stack.upstream.images.large;
    const reference = `${pushed.repository}:${pushed.tag}`;
    const cold = await skopeo.copy({ ...client(), reference });
    expect(cold.digest).toBe(pushed.digest);
    await waitUntilCached(pushed);
    stack.upstream.resetLog();
    const warm = await skopeo.copy({ ...client(), reference });
    expectSameImage(warm.images[0]!, manifestFor(pushed));
    costs[`warm ${reference}`] = summarizeRequests(stack.upstream.log());
    expect(objectFetches(stack.upstream.log())).toEqual([]);
  });

  it("with the upstream stopped, a cached image still pulls, its tag served stale", async () => {
    const pushed = stack.upstream.images.alpine;
    await stack.upstream.stop();
    await sleep(TAG_TTL_MS + 100);
    const mark = stack.worker.output().length;
    const offline = await skopeo.copy({ ...client(), reference: "library/alpine:latest" });
    expectSameImage(offline.images[0]!, manifestFor(pushed));
    const large = stack.upstream.images.large;
    const offlineLarge = await skopeo.copy({ ...client(), reference: `${large.repository}:${large.tag}` });
    expectSameImage(offlineLarge.images[0]!, manifestFor(large));
    // Every request of both pulls, its log line arrived: the tag's (by its exact path), and each blob's.
    const tagPath = (image: FixtureImage) => `/v2/${image.repository}/manifests/${image.tag}`;
    const blobPaths = (image: FixtureImage) => digestsOf(image).blobs.map((d) => `/v2/${image.repository}/blobs/${d}`);
    const answers = await workerRequestsFor(stack, mark, [
      tagPath(pushed),
      tagPath(large),
      ...blobPaths(pushed),
      ...blobPaths(large),
    ]);
    const tagAnswers = answers.filter((r) => r.path === tagPath(pushed)).map((r) => r.cache);
    expect(tagAnswers).toEqual(tagAnswers.map(() => "STALE"));
    expect(answers.every((r) => r.status < 400)).toBe(true);
  });
});
