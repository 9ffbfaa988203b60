/**
 * podman, containerd and dockerd pulling through the mirror, configured the way users configure them: a
 * registries.conf mirror, a hosts.toml mirror (which adds `?ns=docker.io`), and `registry-mirrors`. Each stores what it
 * pulled; the digests must be the ones pushed. `docker search <mirror>/term` goes through the Worker to the
 * imitation index. A daemon that cannot run here is skipped with the reason.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as containerd from "./clients/containerd";
import * as dockerd from "./clients/dockerd";
import * as podman from "./clients/podman";
import { containerdForSuite } from "./support/containerd-suite";
import { expectSameImage, manifestFor } from "./support/expect-image";
import { requires, stackSkipReason } from "./support/prerequisites";
import { type Stack, startStack, summarizeRequests, workerRequests } from "./support/stack";

/** Host paths clients create outside the directories we give them; the runners remove the ones they made. */
const HOST_PATHS = ["/run/docker", "/run/containers", "/var/lib/containers", "/etc/docker/key.json", "/opt/containerd"];
const hostBefore = {
  paths: HOST_PATHS.filter((path) => existsSync(path)),
  mounts: readFileSync("/proc/self/mountinfo", "utf8"),
};
const skips = {
  podman: requires("podman through the mirror", podman.skipReason(), stackSkipReason()),
  containerd: requires("containerd through the mirror", containerd.skipReason(), stackSkipReason()),
  dockerd: requires("dockerd through the mirror", dockerd.skipReason(), stackSkipReason()),
};

let stack: Stack;
const costs: Record<string, unknown> = {};
const client = () => ({ mirror: stack.worker.host, caCertPath: stack.caCertPath, workDir: stack.workDir });
let outputMark = 0;
let started = false;

beforeAll(async () => {
  if (Object.values(skips).every((reason) => reason !== null)) return;
  stack = await startStack("daemons");
  started = true;
});
beforeEach(() => {
  if (!started) return; // every client skipped: only the hygiene check runs
  stack.upstream.resetLog();
  outputMark = stack.worker.output().length;
});
afterAll(async () => {
  console.log(
    `requests per pull through the mirror (client -> Worker, Worker -> upstream):\n${JSON.stringify(costs, null, 1)}`,
  );
  await stack?.stop();
});

/** Records what one pull cost: requests the client made to the Worker and the Worker made upstream. */
function record(name: string): void {
  costs[name] = { client: workerRequests(stack, outputMark).length, upstream: summarizeRequests(stack.upstream.log()) };
}

describe.skipIf(skips.podman)("podman", () => {
  it("pulls docker.io/library/alpine through a registries.conf mirror", async () => {
    const result = await podman.pull({ ...client(), reference: "docker.io/library/alpine:latest" });
    const pushed = stack.upstream.images.alpine;
    expect(result.digest).toBe(pushed.digest);
    expect(result.configDigest).toBe(manifestFor(pushed).config.digest);
    expect(result.diffIds).toEqual(manifestFor(pushed).layers.map((l) => l.diffId));
    expect(result.requests.every((url) => url.includes(stack.worker.host))).toBe(true);
    record("podman pull alpine");
  });

  it("pulls through a mirror location with the path prefix (host/docker.io)", async () => {
    const result = await podman.pull({ ...client(), reference: "docker.io/bitnami/redis:7", mirrorPath: "docker.io" });
    expect(result.digest).toBe(stack.upstream.images.redis.digest);
    expect(result.requests.some((url) => url.includes("/v2/docker.io/bitnami/redis/"))).toBe(true);
  });

  it("pulls the private image with mirror credentials", async () => {
    const pushed = stack.upstream.images.secret;
    const result = await podman.pull({
      ...client(),
      reference: `docker.io/${pushed.repository}:${pushed.tag}`,
      creds: stack.upstream.users.tester,
    });
    expect(result.digest).toBe(pushed.digest);
  });
});

describe.skipIf(skips.containerd)("containerd", () => {
  const daemon = containerdForSuite(() => stack.workDir);

  it("pulls through a hosts.toml mirror, which sends ?ns=docker.io", async () => {
    const result = await containerd.pullWith(daemon(), { ...client(), reference: "docker.io/library/alpine:latest" });
    const pushed = stack.upstream.images.alpine;
    expect(result.digest).toBe(pushed.digest);
    expectSameImage(result.images[0]!, manifestFor(pushed));
    const paths = workerRequests(stack, outputMark).map((r) => r.path);
    expect(paths.some((p) => p.includes("/manifests/"))).toBe(true);
    record("containerd pull alpine");
  });

  it("pulls arm64 out of a multi-arch index through _default/hosts.toml", async () => {
    const pushed = stack.upstream.images.multi;
    const result = await containerd.pullWith(daemon(), {
      ...client(),
      reference: "docker.io/library/multi:latest",
      hostsNamespace: "_default",
      platform: "linux/arm64",
    });
    expect(result.digest).toBe(pushed.digest);
    const arm = result.images.find((image) => image.platform?.architecture === "arm64");
    expectSameImage(arm!, manifestFor(pushed, "arm64"));
  });

  it("pulls the private image with --user", async () => {
    const pushed = stack.upstream.images.secret;
    const result = await containerd.pullWith(daemon(), {
      ...client(),
      reference: `docker.io/${pushed.repository}:${pushed.tag}`,
      creds: stack.upstream.users.tester,
    });
    expectSameImage(result.images[0]!, manifestFor(pushed));
  });

  it("pulls the large image, every layer verified", async () => {
    const pushed = stack.upstream.images.large;
    const result = await containerd.pullWith(daemon(), {
      ...client(),
      reference: `docker.io/${pushed.repository}:${pushed.tag}`,
    });
    expectSameImage(result.images[0]!, manifestFor(pushed));
    record("containerd pull large");
  });
});

describe.skipIf(skips.dockerd)("dockerd", () => {
  let daemon: dockerd.Dockerd;
  beforeAll(async () => {
    daemon = await dockerd.startDockerd({ ...client() });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("docker pull alpine goes to the registry-mirrors entry and gets the pushed image", async () => {
    const result = await daemon.pull("alpine");
    const pushed = stack.upstream.images.alpine;
    expect(result.digest).toBe(pushed.digest);
    expect(result.configDigest).toBe(manifestFor(pushed).config.digest);
    expect(result.diffIds).toEqual(manifestFor(pushed).layers.map((l) => l.diffId));
    record("docker pull alpine");
  });

  it("docker pull bitnami/redis:7 (a namespaced image)", async () => {
    const result = await daemon.pull("bitnami/redis:7");
    expect(result.digest).toBe(stack.upstream.images.redis.digest);
  });

  it("docker pull <mirror>/library/multi pulls this platform's image directly from the mirror", async () => {
    const pushed = stack.upstream.images.multi;
    const result = await daemon.pull(`${stack.worker.host}/library/multi:latest`);
    expect(result.digest).toBe(pushed.digest);
    const arch = process.arch === "arm64" ? "arm64" : "amd64";
    expect(result.configDigest).toBe(manifestFor(pushed, arch).config.digest);
  });

  it("docker search <mirror>/alpine asks the index for alpine through the mirror, without credentials", async () => {
    const hits = await daemon.search(`${stack.worker.host}/alpine`);
    expect(hits).toEqual([
      { Name: "alpine", Description: "Official image alpine (e2e fixture)", StarCount: 1000, IsOfficial: true },
    ]);
    const index = stack.upstream.log().filter((entry) => entry.server === "index");
    expect(index).toMatchObject([{ path: "/v1/search?q=alpine&n=25", authorization: false, status: 200 }]);
    const requests = workerRequests(stack, outputMark).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(requests).toEqual(["GET /v1/_ping 200", "GET /v1/_ping 200", "GET /v1/search 200"]);
  });

  it("docker search <mirror>/library/alpine finds the same image (library/ is dropped for Docker Hub)", async () => {
    const hits = await daemon.search(`${stack.worker.host}/library/alpine`);
    expect(hits.map((hit) => hit.Name)).toEqual(["alpine"]);
    expect(
      stack.upstream
        .log()
        .filter((entry) => entry.server === "index")
        .map((entry) => entry.path),
    ).toEqual(["/v1/search?q=alpine&n=25"]);
  });

  it("docker search <mirror>/redis finds a namespaced image", async () => {
    const hits = await daemon.search(`${stack.worker.host}/redis`);
    expect(hits).toEqual([expect.objectContaining({ Name: "bitnami/redis", IsOfficial: false })]);
  });
});

describe("hygiene", () => {
  it("leaves no daemon, mount, scratch dir or new host path behind", () => {
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n");
    expect(processes.filter((args) => /\/tmp\/eh(ctd|dkr|pod)-/.test(args) && !args.includes("ps -eo"))).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).toBe(hostBefore.mounts);
    expect(HOST_PATHS.filter((path) => existsSync(path))).toEqual(hostBefore.paths);
  });
});
