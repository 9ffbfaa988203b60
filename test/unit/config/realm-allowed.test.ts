/**
 * realmAllowed (distribution's idea): the owner's credentials go to a token realm only on a host that is the
 * registry's own, the configured realm's, or one listed in realmHosts: equal, never merely ending alike (#21, 6a).
 */
import { describe, expect, it } from "vitest";
import { realmAllowed } from "../../../src/config/registries";

const GHCR = { registry: "https://ghcr.io", realmHosts: ["ghcr.io"] };
const CORP = {
  registry: "https://cr.example.net",
  realm: "https://auth.example.net/token",
  realmHosts: ["sso.example.net"],
};

describe("realmAllowed", () => {
  it.each([
    [GHCR, "https://ghcr.io/token", true],
    [GHCR, "https://GHCR.io/token", true],
    [GHCR, "https://evilghcr.io/token", false],
    [GHCR, "https://x.ghcr.io/token", false],
    [GHCR, "https://ghcr.io.evil.example/token", false],
    [CORP, "https://cr.example.net/token", true],
    [CORP, "https://auth.example.net/other", true],
    [CORP, "https://sso.example.net/token", true],
    [CORP, "https://evilcr.example.net/token", false],
    [CORP, "https://notauth.example.net/token", false],
    [CORP, "https://evilsso.example.net/token", false],
  ])("%o with %s: %s", (upstream, realm, allowed) => {
    expect(realmAllowed(upstream, realm)).toBe(allowed);
  });
});
