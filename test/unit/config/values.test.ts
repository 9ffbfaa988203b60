import { describe, expect, it } from "vitest";
import { isSet, parseMilliseconds, parseSeconds, parseTtl } from "../../../src/config/values";

describe("numeric variables take one grammar (config/values.ts)", () => {
  const parsers = [
    ["CACHE_CPU_BUDGET_MS", (raw: string) => parseMilliseconds("CACHE_CPU_BUDGET_MS", raw, 50)],
    ["UPSTREAM_TIMEOUT_SECONDS", (raw: string) => parseSeconds("UPSTREAM_TIMEOUT_SECONDS", raw, 30)],
    ["TAG_TTL_SECONDS", (raw: string) => parseTtl("TAG_TTL_SECONDS", raw, 300)],
  ] as const;

  it.each(parsers)("%s refuses hex, exponents, signs and Infinity", (variable, parse) => {
    for (const raw of ["0x10", "1e3", "+5", "-5", "Infinity", "5s", "1_000"])
      expect(() => parse(raw), raw).toThrow(variable);
  });

  it.each(parsers)("%s takes decimal digits, with a fraction, spaces around", (_variable, parse) => {
    expect(parse(" 16 ")).toBe(16);
    expect(parse("2.5")).toBe(2.5);
  });

  it.each(parsers)("%s is its default when unset, empty or blank", (_variable, parse) => {
    expect(parse("")).toBe(parse("   "));
    expect(parse("")).toBeGreaterThan(0);
  });

  it("isSet: unset, empty and blank all mean unset", () => {
    expect([undefined, "", "  ", "\t"].map(isSet)).toEqual([false, false, false, false]);
    expect(isSet(" x ")).toBe(true);
  });
});
