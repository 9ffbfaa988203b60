import { describe, expect, it } from "vitest";
import { parseJson } from "../../../src/core/parse";
import { scopesOf, splitScopes } from "../../../src/routing/scope";

describe("parseJson (core/parse.ts)", () => {
  it("reads JSON from text or UTF-8 bytes, and gives undefined for anything else", () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(parseJson(new TextEncoder().encode('["é"]'))).toEqual(["é"]);
    expect(parseJson("null")).toBeNull();
    for (const bad of ["", "{", "undefined", "<html>"]) expect(parseJson(bad)).toBeUndefined();
  });
});

describe("scopes of a token request (routing/scope.ts)", () => {
  it("splits every scope value on spaces and drops empty ones", () => {
    const params = new URLSearchParams("scope=repository:a:pull%20%20repository:b:pull%20&scope=registry:catalog:*");
    expect(scopesOf(params)).toEqual(["repository:a:pull", "repository:b:pull", "registry:catalog:*"]);
    expect(splitScopes(" ")).toEqual([]);
    expect(scopesOf(new URLSearchParams())).toEqual([]);
  });
});
