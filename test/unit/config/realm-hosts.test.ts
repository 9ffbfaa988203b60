import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import { BUILTIN_UPSTREAMS, realmAllowed, registryIdentity } from "../../../src/config/registries";

/** Each built-in registry's token realm, as its own `/v2/` names it (none: it authenticates nobody itself). */
const REALMS: Record<string, string | undefined> = {
  docker: "https://auth.docker.io/token",
  quay: "https://quay.io/v2/auth",
  gcr: "https://gcr.io/v2/token",
  "k8s-gcr": "https://k8s.gcr.io/v2/token",
  k8s: undefined,
  ghcr: "https://ghcr.io/token",
  cloudsmith: "https://docker.cloudsmith.io/v2/token",
  nvcr: "https://nvcr.io/proxy_auth",
  mcr: undefined,
  elastic: "https://docker-auth.elastic.co/auth",
  ecr: "https://public.ecr.aws/token/",
};

describe("realm hosts of the built-in registries", () => {
  it("the table covers every built-in registry", () => {
    expect(BUILTIN_UPSTREAMS.map((u) => u.name).sort()).toEqual(Object.keys(REALMS).sort());
  });

  it.each(BUILTIN_UPSTREAMS.map((u) => [u.name, u] as const))(
    "%s: its own realm gets the owner's credentials, no other host does",
    (name, upstream) => {
      const realm = REALMS[name];
      if (realm !== undefined) expect(realmAllowed(upstream, realm)).toBe(true);
      expect(realmAllowed(upstream, "https://auth.evil.example/token")).toBe(false);
      expect(realmAllowed(upstream, `https://${registryIdentity(upstream)}.evil.example/token`)).toBe(false);
    },
  );

  it("a built-in route pointed elsewhere by UPSTREAMS keeps none of the old registry's realm hosts", () => {
    const docker = parseConfig({ UPSTREAMS: '{"docker": {"registry": "https://registry.example.net"}}' }).upstreams.get(
      "docker",
    )!;
    expect(realmAllowed(docker, "https://auth.docker.io/token")).toBe(false);
    expect(realmAllowed(docker, "https://registry.example.net/token")).toBe(true);
  });

  it("UPSTREAMS may add realm hosts, and a configured realm's host is allowed", () => {
    const vars = {
      UPSTREAMS:
        '{"corp": {"registry": "https://registry.corp.example", "realm": "https://sso.corp.example/v2/token", "realmHosts": ["Tokens.corp.example"]}}',
    };
    const corp = parseConfig(vars).upstreams.get("corp")!;
    expect(realmAllowed(corp, "https://tokens.corp.example/t")).toBe(true);
    expect(realmAllowed(corp, "https://sso.corp.example/v2/token")).toBe(true);
    expect(realmAllowed(corp, "https://corp.example/token")).toBe(false);
  });

  it.each([['"tokens.example"'], ["[1]"], ['["https://tokens.example/"]'], ['["tokens.example/x"]']])(
    "UPSTREAMS realmHosts %s is refused",
    (value) => {
      expect(() =>
        parseConfig({ UPSTREAMS: `{"corp": {"registry": "https://registry.corp.example", "realmHosts": ${value}}}` }),
      ).toThrow('UPSTREAMS "corp".realmHosts must be an array of host names');
    },
  );
});
