import { describe, expect, it } from "vitest";
import { contentKey, digestAlgorithm, normalizeAccept, sharedKey, tagKey } from "../../../src/cache/keys";
import { parseConfig } from "../../../src/config/config";
import { registryIdentity } from "../../../src/config/registries";

const config = parseConfig({});
const digest = `sha256:${"ab".repeat(32)}`;
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

describe("cache keys", () => {
  it("name content by registry and digest, never by repository, route or credentials", () => {
    expect(contentKey("registry-1.docker.io", "blobs", digest)).toBe(
      `v1/registry-1.docker.io/blobs/sha256/${"ab".repeat(32)}`,
    );
    expect(contentKey("ghcr.io", "manifests", digest)).toBe(`v1/ghcr.io/manifests/sha256/${"ab".repeat(32)}`);
    expect(sharedKey("registry-1.docker.io", digest)).toBe(`v1/registry-1.docker.io/shared/sha256/${"ab".repeat(32)}`);
  });

  it("name the registry by host, so two routes to one registry share entries", () => {
    expect(registryIdentity(config.upstreams.get("docker")!)).toBe("registry-1.docker.io");
    const local = parseConfig({
      UPSTREAMS: '{"docker": {"registry": "http://127.0.0.1:5000"}, "mine": {"registry": "http://127.0.0.1:5000"}}',
    });
    expect(registryIdentity(local.upstreams.get("mine")!)).toBe(registryIdentity(local.upstreams.get("docker")!));
  });

  it("key a tag by what the client accepts, ignoring order, case, parameters and repeats", async () => {
    const a = await tagKey("registry-1.docker.io", "library/alpine", "3.20", `${OCI_INDEX}, ${DOCKER_LIST};q=0.9`);
    const b = await tagKey(
      "registry-1.docker.io",
      "library/alpine",
      "3.20",
      `${DOCKER_LIST.toUpperCase()},${OCI_INDEX},${OCI_INDEX}`,
    );
    const c = await tagKey("registry-1.docker.io", "library/alpine", "3.20", DOCKER_LIST);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^v1\/registry-1\.docker\.io\/tags\/library\/alpine\/3\.20\/[0-9a-f]{24}$/);
    expect(normalizeAccept(null)).toBe("");
  });

  it("know which digests they can verify", () => {
    expect(digestAlgorithm(digest)?.name).toBe("SHA-256");
    expect(digestAlgorithm(`sha512:${"0".repeat(128)}`)?.r2).toBe("sha512");
    expect(digestAlgorithm("blake3:abc")).toBeUndefined();
  });
});
