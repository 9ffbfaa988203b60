import { describe, expect, it } from "vitest";
import { digestAlgorithm } from "../../../src/cache/keys";
import { referencesOf } from "../../../src/cache/visibility";
import { isDigest, parseDigest } from "../../../src/routing/reference";

const sha256 = `sha256:${"a".repeat(64)}`;
const sha512 = `sha512:${"b".repeat(128)}`;
/** Each of these was accepted by one copy of the digest grammar or another before there was one. */
const wrong = [
  `sha256:${"a".repeat(63)}`,
  `sha256:${"a".repeat(65)}`,
  `sha256:${"a".repeat(128)}`,
  `sha512:${"b".repeat(64)}`,
  `sha256:${"A".repeat(64)}`,
  "sha256:abc",
  "sha256:",
  "foo:bar",
  `blake3:${"a".repeat(64)}`,
];

describe("the digest grammar (routing/reference.ts)", () => {
  it("parses the registered algorithms at their own lengths", () => {
    expect(parseDigest(sha256)).toEqual({ algorithm: "sha256", encoded: "a".repeat(64) });
    expect(parseDigest(sha512)).toEqual({ algorithm: "sha512", encoded: "b".repeat(128) });
  });

  it.each(wrong)("refuses %s everywhere", (digest) => {
    expect(parseDigest(digest)).toBeUndefined();
    expect(isDigest(digest)).toBe(false);
    expect(digestAlgorithm(digest)).toBeUndefined();
  });

  it("takes from a manifest only the digests the router would accept", () => {
    const manifest = {
      config: { digest: sha256 },
      layers: [{ digest: sha512 }, ...wrong.map((digest) => ({ digest }))],
    };
    expect(referencesOf(new TextEncoder().encode(JSON.stringify(manifest)))).toEqual([sha256, sha512]);
  });
});
