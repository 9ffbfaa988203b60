/**
 * skopeo through the mirror: every way a name can reach it, every blob hashed and compared with what was pushed.
 * skopeo cannot be skipped in CI: it is the client every other suite's fixtures are checked against.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as skopeo from "./clients/skopeo";
import { expectSameImage, manifestFor } from "./support/expect-image";
import { requires, stackSkipReason } from "./support/prerequisites";
import { type Stack, startStack, summarizeRequests } from "./support/stack";

const skip = requires("the skopeo suite", skopeo.skipReason(), stackSkipReason());

describe.skipIf(skip)("skopeo through the mirror", () => {
  let stack: Stack;
  const costs: Record<string, Record<string, number>> = {};
  const client = () => ({ mirror: stack.worker.host, caCertPath: stack.caCertPath, workDir: stack.workDir });

  beforeAll(async () => {
    stack = await startStack("skopeo");
  });
  beforeEach(() => stack.upstream.resetLog());
  afterAll(async () => {
    console.log(`upstream requests per skopeo operation through the mirror:\n${JSON.stringify(costs, null, 1)}`);
    await stack?.stop();
  });

  let alpineCopied = false;

  function record(name: string): void {
    costs[name] = summarizeRequests(stack.upstream.log());
  }

  it.each([
    ["the short name (no library/)", "alpine:latest"],
    ["library/alpine", "library/alpine:latest"],
    ["the path-prefix form", "docker.io/library/alpine:latest"],
    ["the path-prefix form with a short name", "docker.io/alpine:latest"],
  ])("copies %s with every blob verified", async (label, reference) => {
    const result = await skopeo.copy({ ...client(), reference });
    const pushed = stack.upstream.images.alpine;
    expect(result.digest).toBe(pushed.digest);
    expectSameImage(result.images[0]!, manifestFor(pushed));
    record(`copy ${reference}`);
    // The CDN never saw the client's token. Every form names the same image, so once the Worker has cached it (after
    // the first copy) the layers come from its cache and the CDN sees nothing at all.
    const cdn = stack.upstream.log().filter((e) => e.server === "cdn");
    expect(cdn.every((e) => !e.authorization && e.status < 300)).toBe(true);
    if (alpineCopied) expect(cdn).toEqual([]);
    else expect(cdn.length).toBeGreaterThan(0);
    alpineCopied = true;
    void label;
  });

  it("inspects a namespaced image and copies it", async () => {
    const pushed = stack.upstream.images.redis;
    const raw = await skopeo.inspect({ ...client(), reference: "bitnami/redis:7" });
    expect(raw.digest).toBe(pushed.digest);
    expect(raw.raw.toString()).toBe(pushed.manifest.toString());
    const result = await skopeo.copy({ ...client(), reference: "bitnami/redis:7" });
    expectSameImage(result.images[0]!, manifestFor(pushed));
  });

  it("copies a multi-arch index with --all, every platform verified", async () => {
    const pushed = stack.upstream.images.multi;
    const result = await skopeo.copy({ ...client(), reference: "library/multi:latest", all: true });
    expect(result.digest).toBe(pushed.digest);
    expect(result.images).toHaveLength(pushed.manifests.length);
    for (const image of result.images) expectSameImage(image, manifestFor(pushed, image.platform!.architecture));
    record("copy --all multi");
  });

  it("picks arm64 out of the index with --override-arch", async () => {
    const pushed = stack.upstream.images.multi;
    const result = await skopeo.copy({ ...client(), reference: "multi:latest", overrideArch: "arm64" });
    expectSameImage(result.images[0]!, manifestFor(pushed, "arm64"));
  });

  it("copies a manifest by digest", async () => {
    const pushed = stack.upstream.images.redis;
    const result = await skopeo.copy({ ...client(), reference: `bitnami/redis@${pushed.digest}` });
    expectSameImage(result.images[0]!, manifestFor(pushed));
  });

  it("copies the private image with the tester's credentials", async () => {
    const pushed = stack.upstream.images.secret;
    const result = await skopeo.copy({
      ...client(),
      reference: `${pushed.repository}:${pushed.tag}`,
      creds: stack.upstream.users.tester,
    });
    expectSameImage(result.images[0]!, manifestFor(pushed));
    record("copy private with credentials");
  });

  it("refuses the private image without credentials, and no private byte is served", async () => {
    const pushed = stack.upstream.images.secret;
    const failure = await skopeo.copy({ ...client(), reference: `${pushed.repository}:${pushed.tag}` }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/unauthorized|denied|authentication required/i);
    const log = stack.upstream.log();
    expect(log.filter((e) => e.server === "cdn")).toEqual([]);
    expect(log.filter((e) => e.server === "registry" && e.status < 300)).toEqual([]);
  });

  it("copies the large image, every layer verified", async () => {
    const pushed = stack.upstream.images.large;
    const result = await skopeo.copy({ ...client(), reference: `${pushed.repository}:${pushed.tag}` });
    expectSameImage(result.images[0]!, manifestFor(pushed));
    record("copy large");
  });
});
