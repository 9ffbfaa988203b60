import { describe, expect, it } from "vitest";
import { BUILTIN_UPSTREAMS, normalizeRepository } from "../../../src/config/registries";
import type { RegistryError } from "../../../src/core/errors";
import { assertEndpointQuery } from "../../../src/routing/query";
import { assertDigest, assertManifestReference, assertRepository } from "../../../src/routing/reference";

const hub = BUILTIN_UPSTREAMS.find((u) => u.name === "docker")!;
const ghcr = BUILTIN_UPSTREAMS.find((u) => u.name === "ghcr")!;
const sha256 = `sha256:${"a".repeat(64)}`;

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as RegistryError).code;
  }
}

describe("normalizeRepository", () => {
  it.each([
    [hub, "alpine", "library/alpine"],
    [hub, "library/alpine", "library/alpine"],
    [hub, "bitnami/redis", "bitnami/redis"],
    [hub, "a/b/c", "a/b/c"],
    [ghcr, "alpine", "alpine"],
    [ghcr, "owner/img", "owner/img"],
  ])("%s: %s -> %s", (upstream, name, expected) => {
    expect(normalizeRepository(upstream, name)).toBe(expected);
  });
});

describe("repository names", () => {
  it.each(["alpine", "library/alpine", "a/b/c", "my-app", "my__app", "a.b", "a---b", "x".repeat(255)])(
    "accepts %s",
    (name) => {
      expect(codeOf(() => assertRepository(name))).toBeUndefined();
    },
  );
  it.each(["Alpine", "-a", "a-", "a..b", "a/", "/a", "a//b", "a_-b", "a___b", "a:b", "x".repeat(256), ""])(
    "rejects %s",
    (name) => {
      expect(codeOf(() => assertRepository(name))).toBe("NAME_INVALID");
    },
  );
});

describe("manifest references", () => {
  it.each(["latest", "1.2.3", "v1_rc-2", "_x", "A".repeat(128), sha256, `sha512:${"b".repeat(128)}`])(
    "accepts %s",
    (ref) => {
      expect(codeOf(() => assertManifestReference(ref))).toBeUndefined();
    },
  );
  it.each([
    [".hidden", "TAG_INVALID"],
    ["-x", "TAG_INVALID"],
    ["A".repeat(129), "TAG_INVALID"],
    ["sha256:abc", "DIGEST_INVALID"],
    [`sha256:${"A".repeat(64)}`, "DIGEST_INVALID"],
    [`sha256:${"a".repeat(65)}`, "DIGEST_INVALID"],
    ["SHA256:abc", "DIGEST_INVALID"],
    [":abc", "DIGEST_INVALID"],
    // Only the image spec's registered algorithms: anything else names nothing a registry can check.
    ["blake3:abc_DEF-=", "DIGEST_INVALID"],
    [`md5:${"a".repeat(32)}`, "DIGEST_INVALID"],
    [`sha384:${"a".repeat(96)}`, "DIGEST_INVALID"],
    [`sha512:${"a".repeat(64)}`, "DIGEST_INVALID"],
    [`constructor:${"a".repeat(64)}`, "DIGEST_INVALID"],
  ])("rejects %s with %s", (ref, code) => {
    expect(codeOf(() => assertManifestReference(ref))).toBe(code);
  });
  it("rejects a tag where a digest is required", () => {
    expect(codeOf(() => assertDigest("latest"))).toBe("DIGEST_INVALID");
  });
});

describe("endpoint query parameters", () => {
  const check = (kind: "tags" | "referrers" | "manifest", query: string) =>
    codeOf(() => assertEndpointQuery(kind, new URLSearchParams(query)));
  it.each([
    ["tags", ""],
    ["tags", "n=0&last=v1.2"],
    ["tags", "n=10000"],
    ["tags", "x=anything&ns=docker.io"],
    ["referrers", "artifactType=application/vnd.example.sbom.v1%2Bjson"],
    ["manifest", "n=-1&last=..&artifactType=x"],
  ] as const)("%s accepts ?%s", (kind, query) => {
    expect(check(kind, query)).toBeUndefined();
  });
  it.each([
    ["tags", "n=-1", "PAGINATION_NUMBER_INVALID"],
    ["tags", "n=", "PAGINATION_NUMBER_INVALID"],
    ["tags", "n=1e3", "PAGINATION_NUMBER_INVALID"],
    ["tags", "n=010", "PAGINATION_NUMBER_INVALID"],
    ["tags", "n=10001", "PAGINATION_NUMBER_INVALID"],
    ["tags", "n=1&n=2", "PAGINATION_NUMBER_INVALID"],
    ["tags", "last=", "TAG_INVALID"],
    ["tags", "last=.x", "TAG_INVALID"],
    ["tags", `last=${"a".repeat(129)}`, "TAG_INVALID"],
    ["tags", "last=a&last=b", "TAG_INVALID"],
    ["referrers", "artifactType=", "UNSUPPORTED"],
    ["referrers", "artifactType=application", "UNSUPPORTED"],
    ["referrers", "artifactType=text/plain;%20charset=utf-8", "UNSUPPORTED"],
    ["referrers", "artifactType=a/b&artifactType=c/d", "UNSUPPORTED"],
  ] as const)("%s refuses ?%s with %s", (kind, query, code) => {
    expect(check(kind, query)).toBe(code);
  });
});
