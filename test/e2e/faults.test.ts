/**
 * The imitation upstream misbehaves, one fault at a time, while clients pull through the Worker. For each fault: a
 * raw request shows exactly what the Worker answers and how long it took; skopeo shows what a real client makes of
 * it (a clear failure, or a correct retry, never a silently corrupt layer); then the fault is cleared and a pull
 * through the same Worker must succeed with every digest verified, so nothing partial or wrong was kept anywhere.
 * The token service gets the same switches, met by a client's /token and by the Worker's own token for the owner.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as skopeo from "./clients/skopeo";
import { expectSameImage, manifestFor } from "./support/expect-image";
import { requires, stackSkipReason } from "./support/prerequisites";
import { type Stack, startStack } from "./support/stack";
import { makeCertificate } from "./support/tls";
import { type RunningWorker, startWorker } from "./support/worker";
import { type Fault, type FaultRule, type FixtureName, fetchToken } from "./upstream";
import { OVERSIZE_BYTES } from "./upstream/faults";

const skip = requires("the fault suite", skopeo.skipReason(), stackSkipReason());
/** The Worker's own limits in this suite: short, so a hang is proved bounded in seconds. */
const TIMEOUT_SECONDS = 1;
/** How long a faulted request may take end to end: the Worker's limit plus room for a loaded machine. */
const BOUND_MS = TIMEOUT_SECONDS * 1000 + 4_000;

/** What a raw GET through the Worker got. */
interface RawResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
  /** How the body ended, when it did not end cleanly. */
  error?: string;
  ms: number;
}

describe.skipIf(skip)("faults at the upstream, through the mirror", () => {
  let stack: Stack;
  let ca: string;
  let token: string;
  const outcomes: string[][] = [];

  beforeAll(async () => {
    stack = await startStack("faults", {
      largeMb: 8,
      // The cache off, so every fault reaches the proxy path; the cache's own rule is tested at the end.
      vars: {
        UPSTREAM_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
        UPSTREAM_IDLE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
        CACHE: "off",
      },
      logLevel: "warn",
    });
    ca = readFileSync(stack.caCertPath, "utf8");
    token = await fetchToken(stack.upstream, ["repository:library/large:pull"]);
  });
  afterEach(() => stack.upstream.faults.clear());
  afterAll(async () => {
    const rows = outcomes.map((row) => `| ${row.join(" | ")} |`).join("\n");
    console.log(
      `faults through the mirror:\n| fault | where | raw answer | ms | skopeo |\n| --- | --- | --- | --- | --- |\n${rows}`,
    );
    await stack?.stop();
  });

  const layer = () => stack.upstream.images.large.manifests[0]!.layers[0]!;
  const layerHex = () => layer().digest.slice("sha256:".length);

  /** A GET through the Worker that never waits past a client deadline, reading whatever body arrives. */
  function rawGet(
    path: string,
    extraHeaders: Record<string, string> = {},
    deadlineMs = 30_000,
    via = { origin: "", ca: "" },
  ): Promise<RawResult> {
    const started = Date.now();
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const done = (status: number, headers: RawResult["headers"], error?: string) =>
        resolve({
          status,
          headers,
          bytes: Buffer.concat(chunks),
          ms: Date.now() - started,
          ...(error ? { error } : {}),
        });
      const target = { origin: via.origin || stack.worker.origin, ca: via.ca || ca };
      // An empty value drops a header (a token request carries no bearer token).
      const headers = Object.fromEntries(
        Object.entries({ authorization: `Bearer ${token}`, ...extraHeaders }).filter(([, value]) => value !== ""),
      );
      const req = request(`${target.origin}${path}`, { ca: target.ca, headers }, (res) => {
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => done(res.statusCode ?? 0, res.headers, res.complete ? undefined : "ended short"));
        res.on("error", (error) => done(res.statusCode ?? 0, res.headers, error.message));
        res.on("aborted", () => done(res.statusCode ?? 0, res.headers, "aborted"));
      });
      req.on("error", (error) => done(0, {}, error.message));
      req.setTimeout(deadlineMs, () => req.destroy(new Error("client deadline")));
      req.end();
    });
  }

  const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const blobPath = () => `/v2/library/large/blobs/${layer().digest}`;

  /** skopeo's verdict on a pull of library/large: "ok" after verifying every blob, or the end of its error. */
  async function pullVerdict(retryTimes?: number): Promise<string> {
    const where = { mirror: stack.worker.host, caCertPath: stack.caCertPath, workDir: stack.workDir };
    try {
      const result = await skopeo.copy({
        ...where,
        reference: "library/large:latest",
        timeoutMs: 90_000,
        ...(retryTimes ? { retryTimes } : {}),
      });
      expectSameImage(result.images[0]!, manifestFor(stack.upstream.images.large));
      return "ok, every digest verified";
    } catch (error) {
      const message = (error as Error).message;
      return message
        .split("\n")
        .filter((line) => line.trim())
        .at(-1)!
        .replace(/^.*?level=fatal msg=/, "")
        .slice(0, 160);
    }
  }

  /**
   * With the fault cleared, a pull through the same Worker succeeds with every digest verified: whatever the fault
   * let through was kept nowhere (the cache's side of that is the last block of this file).
   */
  async function expectHealedPull(): Promise<void> {
    stack.upstream.faults.clear();
    expect(await pullVerdict()).toBe("ok, every digest verified");
  }

  function record(fault: Fault, where: string, raw: RawResult, verdict: string): void {
    const length = raw.headers["content-length"];
    const answer = `${raw.status}${length ? `, ${raw.bytes.length}/${length} bytes` : ""}${raw.error ? `, ${raw.error}` : ""}`;
    outcomes.push([fault, where, answer, String(raw.ms), verdict.replace(/\|/g, "/")]);
  }

  /** Turns the fault on, then asks raw and (unless told not to) with skopeo. */
  async function inject(rule: FaultRule, withSkopeo = true): Promise<{ raw: RawResult; verdict: string }> {
    stack.upstream.faults.set(rule);
    const raw = await rawGet(blobPath());
    const verdict = withSkopeo ? await pullVerdict() : "-";
    record(rule.fault, rule.server, raw, verdict);
    return { raw, verdict };
  }

  describe("blob bodies from the CDN", () => {
    const onLayer = (fault: Fault): FaultRule => ({ server: "cdn", fault, path: new RegExp(layerHex()) });

    it.each(["close-mid-body", "short-body", "hang-mid-body"] as const)(
      "%s: the client gets fewer bytes than Content-Length, in bounded time, and skopeo fails",
      async (fault) => {
        const { raw, verdict } = await inject(onLayer(fault));
        expect(raw.status).toBe(200);
        expect(raw.headers["content-length"]).toBe(String(layer().size));
        expect(raw.bytes.length).toBeLessThan(layer().size);
        expect(raw.error).toBeDefined();
        expect(raw.ms).toBeLessThan(BOUND_MS);
        expect(verdict).not.toMatch(/^ok/);
        await expectHealedPull();
      },
    );

    it("wrong-bytes: the right length with the wrong digest; Docker-Content-Digest lets the client tell, and skopeo refuses the layer", async () => {
      const { raw, verdict } = await inject(onLayer("wrong-bytes"));
      expect(raw.status).toBe(200);
      expect(raw.bytes.length).toBe(layer().size);
      expect(sha256(raw.bytes)).not.toBe(layer().digest);
      expect(raw.headers["docker-content-digest"]).toBe(layer().digest);
      expect(verdict).toMatch(/digest/i);
      await expectHealedPull();
    });

    it("hang-before-headers: 504 after UPSTREAM_TIMEOUT_SECONDS, and skopeo fails", async () => {
      const { raw, verdict } = await inject(onLayer("hang-before-headers"));
      expect(raw.status).toBe(504);
      expect(raw.ms).toBeLessThan(BOUND_MS);
      expect(JSON.parse(raw.bytes.toString()).errors[0].code).toBe("UNAVAILABLE");
      expect(verdict).not.toMatch(/^ok/);
      await expectHealedPull();
    });

    it.each([
      ["status-500", 500],
      ["status-503", 503],
    ] as const)("%s: passed through as %i, and skopeo fails naming it", async (fault, status) => {
      const { raw, verdict } = await inject(onLayer(fault));
      expect(raw.status).toBe(status);
      expect(verdict).toContain(String(status));
      await expectHealedPull();
    });

    it("status-429: passed through with Retry-After (skopeo's answer to it is the retry below)", async () => {
      const { raw } = await inject(onLayer("status-429"), false);
      expect(raw.status).toBe(429);
      expect(raw.headers["retry-after"]).toBe("1");
    });

    it.each(["close-mid-body", "short-body", "hang-mid-body"] as const)(
      "%s once: skopeo fails clearly, and a client that resumes with Range gets a layer that verifies",
      async (fault) => {
        stack.upstream.faults.set({ ...onLayer(fault), times: 2 });
        const verdict = await pullVerdict(2);
        expect(verdict).toMatch(/unexpected EOF/);
        const first = await rawGet(blobPath());
        expect(first.error).toBeDefined();
        const rest = await rawGet(blobPath(), { range: `bytes=${first.bytes.length}-` });
        expect(rest.status).toBe(206);
        const whole = Buffer.concat([first.bytes, rest.bytes]);
        outcomes.push([
          `${fault} (once)`,
          "cdn",
          `${first.bytes.length} bytes, then 206 with ${rest.bytes.length}`,
          String(first.ms + rest.ms),
          verdict,
        ]);
        expect(sha256(whole)).toBe(layer().digest);
      },
    );

    it("status-429 once: skopeo --retry-times waits out Retry-After and gets the whole layer", async () => {
      stack.upstream.faults.set({ ...onLayer("status-429"), times: 1 });
      const verdict = await pullVerdict(2);
      outcomes.push(["status-429 (once)", "cdn", "-", "-", verdict]);
      expect(verdict).toBe("ok, every digest verified");
    });
  });

  describe("the registry", () => {
    const onBlob = (fault: Fault): FaultRule => ({
      server: "registry",
      fault,
      path: new RegExp(`/blobs/sha256:${layerHex()}$`),
    });

    it("redirect-loop: 502 after at most 5 hops, quickly", async () => {
      stack.upstream.resetLog();
      const { raw, verdict } = await inject(onBlob("redirect-loop"));
      expect(raw.status).toBe(502);
      expect(JSON.parse(raw.bytes.toString()).errors[0].message).toContain("too many redirects");
      expect(raw.ms).toBeLessThan(BOUND_MS);
      expect(verdict).not.toMatch(/^ok/);
      await expectHealedPull();
    });

    it("redirect-elsewhere: the Worker follows without Authorization, and the stranger's bytes fail the client's digest check", async () => {
      stack.upstream.resetLog();
      const { raw, verdict } = await inject(onBlob("redirect-elsewhere"));
      const strangers = stack.upstream.log().filter((e) => e.server === "stranger");
      expect(strangers.length).toBeGreaterThan(0);
      expect(strangers.every((e) => !e.authorization)).toBe(true);
      expect(raw.status).toBe(200);
      expect(sha256(raw.bytes)).not.toBe(layer().digest);
      expect(verdict).not.toMatch(/^ok/);
      await expectHealedPull();
    });

    it.each(["hang-before-headers", "status-503", "status-429"] as const)(
      "%s on the manifest: bounded and passed on",
      async (fault) => {
        const rule: FaultRule = { server: "registry", fault, path: /\/manifests\// };
        stack.upstream.faults.set(rule);
        const raw = await rawGet("/v2/library/large/manifests/latest");
        const verdict = fault === "status-429" ? "-" : await pullVerdict();
        record(fault, "registry (manifest)", raw, verdict);
        expect(raw.status).toBe(fault === "hang-before-headers" ? 504 : Number(fault.slice(-3)));
        expect(raw.ms).toBeLessThan(BOUND_MS);
        expect(verdict).not.toMatch(/^ok/);
        await expectHealedPull();
      },
    );

    it("status-429 once on the manifest: skopeo --retry-times retries and pulls", async () => {
      stack.upstream.faults.set({ server: "registry", fault: "status-429", path: /\/manifests\//, times: 1 });
      const verdict = await pullVerdict(2);
      outcomes.push(["status-429 (once)", "registry (manifest)", "-", "-", verdict]);
      expect(verdict).toBe("ok, every digest verified");
    });
  });

  describe("the token service", () => {
    const tokenPath = () => `/token?service=${stack.upstream.service}&scope=repository:library/large:pull`;
    const onToken = (fault: Fault, times?: number): FaultRule => ({
      server: "token",
      fault,
      ...(times ? { times } : {}),
    });
    /** How much of the oversized token the token server wrote before its reader hung up (or all of it). */
    const oversizeSent = () =>
      stack.upstream.log().find((e) => e.server === "token" && e.sent !== undefined)?.sent ?? 0;
    /** A reader that stops at a sane cap leaves most of the body unwritten, socket buffers included. */
    const READ_BOUND = OVERSIZE_BYTES / 4;

    describe("a client's /token through the Worker", () => {
      const ask = async (fault: Fault): Promise<RawResult> => {
        stack.upstream.faults.set(onToken(fault));
        const raw = await rawGet(tokenPath(), { authorization: "" }, BOUND_MS + 5_000);
        record(fault, "token (client /token)", raw, "-");
        return raw;
      };

      it("hang-before-headers: 504 after UPSTREAM_TIMEOUT_SECONDS, and skopeo fails instead of waiting", async () => {
        const raw = await ask("hang-before-headers");
        expect(raw.status).toBe(504);
        expect(JSON.parse(raw.bytes.toString()).errors[0].code).toBe("UNAVAILABLE");
        expect(raw.ms).toBeLessThan(BOUND_MS);
        expect(await pullVerdict()).not.toMatch(/^ok/);
        await expectHealedPull();
      });

      it("hang-mid-body: 504 after UPSTREAM_TIMEOUT_SECONDS: a token answer is read whole within it, then relayed", async () => {
        const raw = await ask("hang-mid-body");
        expect(raw.status).toBe(504);
        expect(JSON.parse(raw.bytes.toString()).errors[0].code).toBe("UNAVAILABLE");
        expect(raw.ms).toBeLessThan(BOUND_MS);
        await expectHealedPull();
      });

      it.each([
        ["status-500", 500],
        ["status-503", 503],
      ] as const)("%s: passed on as %i, quickly", async (fault, status) => {
        const raw = await ask(fault);
        expect(raw.status).toBe(status);
        expect(raw.ms).toBeLessThan(BOUND_MS);
        await expectHealedPull();
      });

      it("status-429: passed on with Retry-After", async () => {
        const raw = await ask("status-429");
        expect(raw.status).toBe(429);
        expect(raw.headers["retry-after"]).toBe("1");
      });

      it("oversize-body: refused after a capped read (64 KiB), not relayed whole", async () => {
        stack.upstream.resetLog();
        const raw = await ask("oversize-body");
        expect(raw.ms).toBeLessThan(BOUND_MS);
        expect(raw.bytes.length).toBeLessThan(READ_BOUND);
        expect(oversizeSent()).toBeLessThan(READ_BOUND);
      });
    });

    describe("the Worker's own token, for the owner's credentials", () => {
      let owner: RunningWorker;
      let ownerCa: string;
      beforeAll(async () => {
        const cert = makeCertificate(stack.workDir, "owner-worker");
        const upstreams = { docker: { registry: stack.upstream.registryUrl, realm: stack.upstream.realmUrl } };
        const vars = {
          UPSTREAMS: JSON.stringify(upstreams),
          UPSTREAM_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
          UPSTREAM_IDLE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
          CACHE: "off",
          // The docker route points at the imitation: the owner's account for it is UPSTREAM_CREDENTIALS (DOCKERHUB_TOKEN
          // goes to the real Docker Hub only).
          UPSTREAM_CREDENTIALS: JSON.stringify({ docker: { username: "tester", password: "s3cret" } }),
          // An open mirror may lend its account only to a list of repositories (access-config.ts).
          ALLOWED_REPOSITORIES: JSON.stringify({ docker: ["library/*", "bitnami/*", "private/*"] }),
        };
        owner = await startWorker({ vars, keyPath: cert.keyPath, certPath: cert.certPath, logLevel: "warn" });
        ownerCa = cert.certPem;
      });
      afterAll(async () => {
        await owner?.stop();
      });

      /**
       * An anonymous manifest GET through the owner's Worker, which first fetches a token with the owner's credentials.
       * The Worker keeps a token per repository for its lifetime, so each case asks for another fixture, which no
       * earlier case's token covers, and the fault meets a token fetch.
       */
      const manifest = (image: FixtureName) => {
        const { repository, tag } = stack.upstream.images[image];
        const accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json";
        return rawGet(`/v2/${repository}/manifests/${tag}`, { authorization: "", accept }, BOUND_MS + 5_000, {
          origin: owner.origin,
          ca: ownerCa,
        });
      };
      const ask = async (fault: Fault, image: FixtureName): Promise<RawResult> => {
        stack.upstream.resetLog();
        stack.upstream.faults.set(onToken(fault));
        const raw = await manifest(image);
        record(fault, "token (owner's, by the Worker)", raw, "-");
        expect(stack.upstream.log().filter((e) => e.server === "token").length).toBeGreaterThan(0);
        return raw;
      };
      /** With the fault cleared, the next request gets the manifest: no failure or stall was kept for later requests. */
      const expectHealed = async (image: FixtureName) => {
        stack.upstream.faults.clear();
        const healed = await manifest(image);
        expect(healed.status).toBe(200);
        expect(sha256(healed.bytes)).toBe(stack.upstream.images[image].digest);
      };

      it("hang-before-headers: 504 after UPSTREAM_TIMEOUT_SECONDS, and the next request succeeds", async () => {
        const raw = await ask("hang-before-headers", "alpine");
        expect(raw.status).toBe(504);
        expect(raw.ms).toBeLessThan(BOUND_MS);
        await expectHealed("alpine");
      });

      it("hang-mid-body: fails within the deadline, and the next request succeeds", async () => {
        const raw = await ask("hang-mid-body", "multi");
        expect(raw.status).toBeGreaterThanOrEqual(500);
        expect(raw.ms).toBeLessThan(BOUND_MS);
        await expectHealed("multi");
      });

      it("status-503: an UNAVAILABLE 502 naming the token service, and the next request succeeds", async () => {
        const raw = await ask("status-503", "redis");
        expect(raw.status).toBe(502);
        expect(JSON.parse(raw.bytes.toString()).errors[0].code).toBe("UNAVAILABLE");
        expect(raw.ms).toBeLessThan(BOUND_MS);
        await expectHealed("redis");
      });

      it("status-429: 429 with Retry-After for the client, and the next request succeeds", async () => {
        const raw = await ask("status-429", "secret");
        expect(raw.status).toBe(429);
        expect(raw.headers["retry-after"]).toBe("1");
        await expectHealed("secret");
      });

      it("oversize-body: refused after a capped read (64 KiB), quickly", async () => {
        const raw = await ask("oversize-body", "large");
        expect(raw.status).toBeGreaterThanOrEqual(500);
        expect(raw.ms).toBeLessThan(BOUND_MS);
        expect(oversizeSent()).toBeLessThan(READ_BOUND);
        await expectHealed("large");
      });
    });
  });

  describe("with the cache on, nothing partial or wrong is ever stored", () => {
    let cached: RunningWorker;
    let cachedCa: string;
    beforeAll(async () => {
      const cert = makeCertificate(stack.workDir, "cached-worker");
      const upstreams = { docker: { registry: stack.upstream.registryUrl, realm: stack.upstream.realmUrl } };
      const budget = { CACHE_CPU_BUDGET_MS: "300000" }; // every fill fits: the default would stream these big layers uncached
      const vars = {
        UPSTREAMS: JSON.stringify(upstreams),
        UPSTREAM_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
        UPSTREAM_IDLE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
        ...budget,
      };
      cached = await startWorker({ vars, keyPath: cert.keyPath, certPath: cert.certPath, logLevel: "warn" });
      cachedCa = cert.certPem;
    });
    afterAll(async () => {
      await cached?.stop();
    });

    // One layer each: once healed, a layer is cached, and the next fault must meet an uncached one.
    it.each([
      ["close-mid-body", 1],
      ["short-body", 2],
      ["wrong-bytes", 3],
    ] as const)(
      "%s: the bad download is not stored; the healed fetch is a verified MISS, then a HIT",
      async (fault, index) => {
        const target = stack.upstream.images.large.manifests[0]!.layers[index]!;
        const path = `/v2/library/large/blobs/${target.digest}`;
        const via = { origin: cached.origin, ca: cachedCa };
        stack.upstream.faults.set({ server: "cdn", fault, path: new RegExp(target.digest.slice("sha256:".length)) });
        const bad = await rawGet(path, {}, 30_000, via);
        expect(sha256(bad.bytes)).not.toBe(target.digest);
        stack.upstream.faults.clear();
        await new Promise((resolve) => setTimeout(resolve, 500)); // any background store of the bad body has run by now
        const healed = await rawGet(path, {}, 30_000, via);
        expect(healed.headers["x-cache"]).toBe("MISS");
        expect(sha256(healed.bytes)).toBe(target.digest);
        let hit: RawResult | undefined;
        for (let attempt = 0; attempt < 50 && hit?.headers["x-cache"] !== "HIT"; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100)); // the verified copy is stored just after the answer
          hit = await rawGet(path, {}, 30_000, via);
        }
        expect(hit?.headers["x-cache"]).toBe("HIT");
        expect(sha256(hit!.bytes)).toBe(target.digest);
      },
    );
  });
});
