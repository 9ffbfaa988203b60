/**
 * Keeping the mirror for its owner, end to end: mirror users (`docker login` to the mirror, which signs its own
 * tokens) with upstream credentials behind them, and an open mirror that serves the account's private image only
 * because an allow list names it. skopeo logs in the GET way (HTTP Basic), containerd the OAuth2 POST way.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as containerd from "./clients/containerd";
import * as skopeo from "./clients/skopeo";
import { containerdForSuite } from "./support/containerd-suite";
import { expectSameImage, manifestFor } from "./support/expect-image";
import { requires, stackSkipReason } from "./support/prerequisites";
import { type Stack, startStack } from "./support/stack";

const skip = requires("the access suite", skopeo.skipReason(), stackSkipReason());
const skipContainerd = requires("the access suite's containerd login", containerd.skipReason());

const MIRROR_USER = { username: "owner", password: randomBytes(12).toString("hex") };

/** What a failed copy says, or undefined when it succeeded. */
function failureOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: Error) => error.message,
  );
}

describe.skipIf(skip)("a mirror with users, pulling upstream with the owner's credentials", () => {
  let stack: Stack;
  const client = () => ({ mirror: stack.worker.host, caCertPath: stack.caCertPath, workDir: stack.workDir });

  beforeAll(async () => {
    stack = await startStack("access-users", {
      vars: {
        MIRROR_USERS: `${MIRROR_USER.username}:${MIRROR_USER.password}`,
        MIRROR_TOKEN_SECRET: randomBytes(32).toString("base64"),
        // The imitation Hub's tester may pull private/*; here that account is the owner's. The docker route points at
        // the imitation, so they are UPSTREAM_CREDENTIALS for it: DOCKERHUB_TOKEN goes to the real Docker Hub only.
        UPSTREAM_CREDENTIALS: JSON.stringify({ docker: { username: "tester", password: "s3cret" } }),
      },
    });
  });
  beforeEach(() => stack?.upstream.resetLog());
  afterAll(async () => {
    await stack?.stop();
  });

  it("skopeo --src-creds with a mirror user copies alpine, every blob verified, with one account token upstream", async () => {
    const result = await skopeo.copy({ ...client(), reference: "alpine:latest", creds: MIRROR_USER });
    expectSameImage(result.images[0]!, manifestFor(stack.upstream.images.alpine));
    const log = stack.upstream.log();
    const tokens = log.filter((e) => e.server === "token");
    // One token for the owner's account serves every request. Anonymous tokens are the cache asking whether alpine
    // is public (so its bytes may be shared): once per object that misses before the first verdict is remembered.
    expect(tokens.filter((e) => e.authorization)).toHaveLength(1);
    expect(tokens.filter((e) => !e.authorization).length).toBeLessThanOrEqual(3);
    expect(log.filter((e) => e.server === "cdn").every((e) => !e.authorization)).toBe(true);
  });

  it("a mirror user pulls the private image: the Worker authenticates upstream as the owner", async () => {
    const pushed = stack.upstream.images.secret;
    const result = await skopeo.copy({
      ...client(),
      reference: `${pushed.repository}:${pushed.tag}`,
      creds: MIRROR_USER,
    });
    expectSameImage(result.images[0]!, manifestFor(pushed));
  });

  it.each([
    ["without credentials", undefined],
    ["with a wrong password", { username: MIRROR_USER.username, password: "wrong-password" }],
    [
      "with the upstream account's credentials, which are not a mirror user's",
      { username: "tester", password: "s3cret" },
    ],
  ])("skopeo is refused %s, and nothing reaches the upstream", async (_label, creds) => {
    const failure = await failureOf(
      skopeo.copy({ ...client(), reference: "alpine:latest", ...(creds ? { creds } : {}) }),
    );
    expect(failure).toMatch(/unauthorized|authentication required|incorrect username or password/i);
    expect(stack.upstream.log()).toEqual([]);
  });

  describe.skipIf(skipContainerd)("containerd", () => {
    const daemon = containerdForSuite(() => stack.workDir);

    it("ctr --user logs in with the OAuth2 password grant and pulls through the hosts.toml mirror", async () => {
      const pushed = stack.upstream.images.redis;
      const result = await containerd.pullWith(daemon(), {
        ...client(),
        reference: `docker.io/${pushed.repository}:${pushed.tag}`,
        creds: MIRROR_USER,
      });
      expectSameImage(result.images[0]!, manifestFor(pushed));
    });
  });
});

describe.skipIf(skip)("an open mirror with upstream credentials behind an allow list", () => {
  let stack: Stack;
  const client = () => ({ mirror: stack.worker.host, caCertPath: stack.caCertPath, workDir: stack.workDir });

  beforeAll(async () => {
    stack = await startStack("access-allow", {
      vars: {
        UPSTREAM_CREDENTIALS: JSON.stringify({ docker: { username: "tester", password: "s3cret" } }),
        ALLOWED_REPOSITORIES: JSON.stringify({ docker: ["library/*", "private/*"] }),
      },
    });
  });
  beforeEach(() => stack?.upstream.resetLog());
  afterAll(async () => {
    await stack?.stop();
  });

  it("an anonymous client pulls the listed private image: the owner listed it, the Worker authenticates", async () => {
    const pushed = stack.upstream.images.secret;
    const result = await skopeo.copy({ ...client(), reference: `${pushed.repository}:${pushed.tag}` });
    expectSameImage(result.images[0]!, manifestFor(pushed));
  });

  it("an image outside the list is refused as not allowed on this mirror, and never asked for upstream", async () => {
    const failure = await failureOf(skopeo.copy({ ...client(), reference: "bitnami/redis:7" }));
    expect(failure, stack.worker.output().slice(-3000)).toContain("is not allowed on this mirror");
    expect(stack.upstream.log().filter((e) => e.path.includes("redis"))).toEqual([]);
  });
});
