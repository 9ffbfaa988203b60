import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import { parseSeconds, parseTtl } from "../../../src/config/values";
import { RegistryError } from "../../../src/core/errors";

function refused(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return true;
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return (error as RegistryError).message;
  }
  throw new Error("expected a configuration error");
}

describe("parseConfig", () => {
  it("ships the built-in table with Docker Hub as the default route", () => {
    const config = parseConfig({});
    expect([...config.upstreams.keys()]).toEqual([
      "docker",
      "quay",
      "gcr",
      "k8s-gcr",
      "k8s",
      "ghcr",
      "cloudsmith",
      "nvcr",
      "mcr",
      "elastic",
      "ecr",
    ]);
    expect(config.defaultUpstream.registry).toBe("https://registry-1.docker.io");
    expect(config.upstreamsByHost.get("docker.io")?.name).toBe("docker");
    expect(config.upstreamTimeoutMs).toBe(30_000);
    expect(config.tagTtlMs).toBe(300_000);
    expect(config.blobs).toBeUndefined();
  });

  it("reads CACHE_CPU_BUDGET_MS (default the free plan's 10 ms) and MIRROR_HOST (unset on workers.dev)", () => {
    expect(parseConfig({}).cacheCpuBudgetMs).toBe(10);
    expect(parseConfig({ CACHE_CPU_BUDGET_MS: "30000" }).cacheCpuBudgetMs).toBe(30_000);
    expect(parseConfig({}).mirrorHost).toBeUndefined();
    expect(parseConfig({ MIRROR_HOST: " Mirror.Example.com " }).mirrorHost).toBe("mirror.example.com");
  });

  it.each([
    ["CACHE_CPU_BUDGET_MS", "0"],
    ["CACHE_CPU_BUDGET_MS", "ten"],
    ["MIRROR_HOST", "https://mirror.example.com"],
    ["MIRROR_HOST", "mirror.example.com:8443"],
  ])("rejects %s=%s naming the variable", (name, raw) => {
    expect(messageOf(() => parseConfig({ [name]: raw }))).toContain(name);
  });

  it("reads TAG_TTL_SECONDS, where 0 means every tag request is revalidated", () => {
    expect(parseConfig({ TAG_TTL_SECONDS: "0" }).tagTtlMs).toBe(0);
    expect(parseConfig({ TAG_TTL_SECONDS: "90" }).tagTtlMs).toBe(90_000);
  });

  it.each(["-1", "abc", "86401"])("rejects TAG_TTL_SECONDS=%s naming the variable", (raw) => {
    expect(messageOf(() => parseConfig({ TAG_TTL_SECONDS: raw }))).toContain("TAG_TTL_SECONDS");
  });

  it("merges UPSTREAMS over the table: an override keeps the route's hosts and drops its old realm", () => {
    const config = parseConfig({
      UPSTREAMS: JSON.stringify({
        docker: { registry: "http://127.0.0.1:5000/" },
        harbor: { registry: "https://harbor.example.com", realm: "https://harbor.example.com/service/token" },
      }),
    });
    const docker = config.upstreams.get("docker")!;
    expect(docker.registry).toBe("http://127.0.0.1:5000");
    expect(docker.realm).toBeUndefined();
    expect(docker.officialNamespace).toBe("library");
    expect(config.upstreamsByHost.get("docker.io")).toBe(docker);
    expect(config.upstreams.get("harbor")).toMatchObject({
      hosts: ["harbor.example.com"],
      realm: "https://harbor.example.com/service/token",
    });
    expect(config.upstreamsByHost.get("harbor.example.com")?.name).toBe("harbor");
  });

  it("reads a custom host list and the timeout", () => {
    const config = parseConfig({
      UPSTREAMS: '{"r": {"registry": "https://r.example", "hosts": ["R.io"]}}',
      UPSTREAM_TIMEOUT_SECONDS: "2.5",
    });
    expect(config.upstreamsByHost.get("r.io")?.name).toBe("r");
    expect(config.upstreamTimeoutMs).toBe(2500);
  });

  it.each([
    ["{not json", "not valid JSON"],
    ["[]", "must be a JSON object"],
    ['{"Bad_Name": {"registry": "https://x"}}', "lower-case DNS label"],
    ['{"x": "https://x"}', '"x" must be an object'],
    ['{"x": {"registry": "ftp://x"}}', '"x".registry must be an http(s) URL'],
    ['{"x": {"registry": "https://user:pw@x"}}', "without credentials"],
    ['{"x": {"registry": "https://x/v2/"}}', "must be an origin"],
    ['{"x": {"registry": "https://x", "realm": "nope"}}', '"x".realm must be an http(s) URL'],
    ['{"x": {"registry": "https://x", "hosts": "x.io"}}', "hosts must be an array"],
  ])("rejects UPSTREAMS=%s naming the variable", (raw, problem) => {
    const message = messageOf(() => parseConfig({ UPSTREAMS: raw }));
    expect(message).toContain("UPSTREAMS");
    expect(message).toContain(problem);
  });

  it("keeps Docker Hub's search index until the route is pointed elsewhere without one", () => {
    expect(parseConfig({}).upstreams.get("docker")!.index).toBe("https://index.docker.io");
    expect(
      parseConfig({ UPSTREAMS: '{"docker": {"registry": "http://127.0.0.1:5000"}}' }).upstreams.get("docker")!.index,
    ).toBeUndefined();
    const local = parseConfig({
      UPSTREAMS: '{"docker": {"registry": "http://127.0.0.1:5000", "index": "http://127.0.0.1:5002/"}}',
    });
    expect(local.upstreams.get("docker")!.index).toBe("http://127.0.0.1:5002");
    expect(parseConfig({}).upstreams.get("ghcr")!.index).toBeUndefined();
  });

  it.each([
    ['{"x": {"registry": "https://x", "index": "https://x/v1/"}}', '"x".index must be an origin'],
    ['{"x": {"registry": "https://x", "index": 5}}', '"x".index must be an http(s) URL'],
  ])("rejects UPSTREAMS=%s naming the index", (raw, problem) => {
    expect(messageOf(() => parseConfig({ UPSTREAMS: raw }))).toContain(problem);
  });

  it.each([
    [undefined, { mode: "guide" }],
    ["", { mode: "guide" }],
    ["guide", { mode: "guide" }],
    [" NGINX ", { mode: "nginx" }],
    ["none", { mode: "none" }],
    ["redirect:https://example.net/welcome", { mode: "redirect", location: "https://example.net/welcome" }],
    ["redirect: https://example.net", { mode: "redirect", location: "https://example.net/" }],
  ])("reads HOME_PAGE=%s", (raw, homePage) => {
    expect(parseConfig(raw === undefined ? {} : { HOME_PAGE: raw }).homePage).toEqual(homePage);
  });

  it.each([
    ["nginx2", "must be"],
    ["decoy", "must be"],
    ["redirect:", "needs an https URL"],
    ["redirect:http://example.net", "needs an https URL"],
    ["redirect:example.net", "needs an https URL"],
    ["redirect:https://user:pw@example.net", "without credentials"],
  ])("rejects HOME_PAGE=%s naming the variable", (raw, problem) => {
    const message = messageOf(() => parseConfig({ HOME_PAGE: raw }));
    expect(message).toContain("HOME_PAGE");
    expect(message).toContain(problem);
  });

  it("MIRROR_USERS switches the guide's login notice on", () => {
    expect(parseConfig({}).mirrorLogin).toBe(false);
    expect(parseConfig({ MIRROR_USERS: " " }).mirrorLogin).toBe(false);
    expect(parseConfig({ MIRROR_USERS: "alice:s3cret-pass", MIRROR_TOKEN_SECRET: "k".repeat(32) }).mirrorLogin).toBe(
      true,
    );
  });

  it("CACHE is on unless set to off, and nothing else is accepted", () => {
    expect(parseConfig({}).cacheEnabled).toBe(true);
    expect(parseConfig({ CACHE: "OFF" }).cacheEnabled).toBe(false);
    expect(messageOf(() => parseConfig({ CACHE: "no" }))).toContain("CACHE");
  });

  it.each(["0", "-1", "abc", "601"])("rejects UPSTREAM_TIMEOUT_SECONDS=%s", (raw) => {
    expect(messageOf(() => parseConfig({ UPSTREAM_TIMEOUT_SECONDS: raw }))).toContain("UPSTREAM_TIMEOUT_SECONDS");
  });

  it("reads UPSTREAM_IDLE_TIMEOUT_SECONDS: off (0) by default", () => {
    expect(parseConfig({}).upstreamIdleTimeoutMs).toBe(0);
    expect(parseConfig({ UPSTREAM_IDLE_TIMEOUT_SECONDS: "0" }).upstreamIdleTimeoutMs).toBe(0);
    expect(parseConfig({ UPSTREAM_IDLE_TIMEOUT_SECONDS: "2.5" }).upstreamIdleTimeoutMs).toBe(2500);
  });

  it.each(["-1", "abc", "601"])("rejects UPSTREAM_IDLE_TIMEOUT_SECONDS=%s", (raw) => {
    expect(messageOf(() => parseConfig({ UPSTREAM_IDLE_TIMEOUT_SECONDS: raw }))).toContain(
      "UPSTREAM_IDLE_TIMEOUT_SECONDS",
    );
  });

  it("a seconds variable says exactly what it accepts: 0 only where 0 means off", () => {
    expect(messageOf(() => parseSeconds("UPSTREAM_TIMEOUT_SECONDS", "0", 30))).toBe(
      "mirror misconfigured: UPSTREAM_TIMEOUT_SECONDS must be a number of seconds above 0 and at most 600, such as 30 or 2.5",
    );
    expect(messageOf(() => parseSeconds("UPSTREAM_IDLE_TIMEOUT_SECONDS", "601", 0, { zeroIsOff: true }))).toBe(
      "mirror misconfigured: UPSTREAM_IDLE_TIMEOUT_SECONDS must be 0 (off) or a number of seconds above 0 and at most 600, such as 30 or 2.5",
    );
  });

  it.each(["1e2", "0x10", "+5", "Infinity", "5s", "1,5"])(
    "takes seconds in decimal only, as its message shows: %s is refused",
    (raw) => {
      expect(messageOf(() => parseSeconds("UPSTREAM_TIMEOUT_SECONDS", raw, 30))).toContain("such as 30 or 2.5");
      expect(messageOf(() => parseTtl("TAG_TTL_SECONDS", raw, 300))).toContain("such as 300");
    },
  );

  it("accepts a decimal number of seconds exactly when it is in the range its message gives", () => {
    let cases = 0;
    const decimal = fc.oneof(
      fc.integer({ min: 0, max: 700 }).map(String),
      fc.double({ min: 0, max: 700, noNaN: true }).map((x) => x.toFixed(3)),
    );
    fc.assert(
      fc.property(decimal, fc.boolean(), (raw, zeroIsOff) => {
        cases++;
        const seconds = Number(raw);
        const accepted = (seconds > 0 && seconds <= 600) || (zeroIsOff && seconds === 0);
        expect(refused(() => parseSeconds("X", raw, 1, { zeroIsOff }))).toBe(!accepted);
        expect(refused(() => parseTtl("T", raw, 1))).toBe(false); // 0 to 86400 takes all of these
      }),
      { seed: 17, numRuns: 1_000 },
    );
    expect(cases).toBe(1_000);
  });
});
