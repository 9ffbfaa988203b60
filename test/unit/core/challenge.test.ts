import { describe, expect, it } from "vitest";
import { formatChallenge, parseChallenge } from "../../../src/core/challenge";

describe("parseChallenge", () => {
  it("reads Docker Hub's challenge, commas inside quotes included", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push"',
      ),
    ).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/alpine:pull,push",
      },
    });
  });
  it("accepts spaces, unquoted values, escapes and upper-case names", () => {
    expect(parseChallenge('bearer  Realm = "a\\"b" , service=reg')).toEqual({
      scheme: "bearer",
      params: { realm: 'a"b', service: "reg" },
    });
  });
  it("stops at a second challenge", () => {
    expect(parseChallenge('Bearer realm="x", Basic realm="y"')).toEqual({ scheme: "bearer", params: { realm: "x" } });
  });
  it("reads a bare scheme and rejects garbage", () => {
    expect(parseChallenge("Basic")).toEqual({ scheme: "basic", params: {} });
    expect(parseChallenge("")).toBeUndefined();
    expect(parseChallenge('Bearer realm="unterminated')).toEqual({ scheme: "bearer", params: {} });
  });
});

describe("formatChallenge", () => {
  it("quotes and escapes every parameter and round-trips", () => {
    const challenge = { scheme: "bearer", params: { realm: 'https://h/token?ns=a"b', service: "s" } };
    const header = formatChallenge(challenge);
    expect(header).toBe('Bearer realm="https://h/token?ns=a\\"b",service="s"');
    expect(parseChallenge(header)).toEqual(challenge);
  });
});

describe("parameter names that are Object.prototype's", () => {
  it("keeps __proto__ and constructor as plain parameters", () => {
    const parsed = parseChallenge('Bearer __proto__="x",constructor="y",realm="r"')!;
    expect(Object.entries(parsed.params)).toEqual([
      ["__proto__", "x"],
      ["constructor", "y"],
      ["realm", "r"],
    ]);
    expect(parseChallenge("Bearer")!.params.toString).toBeUndefined();
  });
});
