import { describe, expect, it } from "vitest";
import { grantFor, type MirrorClaims, mintMirrorToken, verifyMirrorToken } from "../../../src/access/mirror-token";

const SECRET = "a-secret-of-at-least-thirty-two-characters";
const NOW = 1_800_000_000;
const claims: MirrorClaims = { sub: "alice", iat: NOW, exp: NOW + 300, access: [grantFor("docker", "library/alpine")] };

function encode(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

describe("mirror tokens", () => {
  it("round-trip: a token verifies with its secret until it expires", async () => {
    const token = await mintMirrorToken(SECRET, claims);
    expect(token.split(".")).toHaveLength(3);
    expect(await verifyMirrorToken(SECRET, token, NOW * 1000)).toEqual(claims);
    expect(await verifyMirrorToken(SECRET, token, (NOW + 299) * 1000)).toEqual(claims);
  });

  it("an expired token is refused", async () => {
    const token = await mintMirrorToken(SECRET, claims);
    expect(await verifyMirrorToken(SECRET, token, (NOW + 300) * 1000)).toBeUndefined();
  });

  it("a token signed with another secret is refused", async () => {
    const token = await mintMirrorToken(`${SECRET}-other`, claims);
    expect(await verifyMirrorToken(SECRET, token, NOW * 1000)).toBeUndefined();
  });

  it("a token whose claims were changed is refused", async () => {
    const [header, , signature] = (await mintMirrorToken(SECRET, claims)).split(".");
    const widened = encode({ ...claims, access: [...claims.access, grantFor("docker", "private/x")] });
    expect(await verifyMirrorToken(SECRET, `${header}.${widened}.${signature}`, NOW * 1000)).toBeUndefined();
    const extended = encode({ ...claims, exp: NOW + 86_400 });
    expect(await verifyMirrorToken(SECRET, `${header}.${extended}.${signature}`, NOW * 1000)).toBeUndefined();
  });

  it("a token with a flipped signature byte, or none, is refused", async () => {
    const token = await mintMirrorToken(SECRET, claims);
    const last = token.at(-2) === "A" ? "B" : "A";
    expect(await verifyMirrorToken(SECRET, `${token.slice(0, -2)}${last}${token.at(-1)}`, NOW * 1000)).toBeUndefined();
    expect(await verifyMirrorToken(SECRET, token.slice(0, token.lastIndexOf(".") + 1), NOW * 1000)).toBeUndefined();
  });

  it('an unsigned token ("alg": "none") is refused', async () => {
    const token = `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
    expect(await verifyMirrorToken(SECRET, token, NOW * 1000)).toBeUndefined();
  });

  it.each(["", "garbage", "a.b.c", "a.b.c.d", "!!.!!.!!"])("garbage %j is refused", async (token) => {
    expect(await verifyMirrorToken(SECRET, token, NOW * 1000)).toBeUndefined();
  });
});
