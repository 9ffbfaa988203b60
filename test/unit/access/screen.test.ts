import { describe, expect, it } from "vitest";
import { clientKey } from "../../../src/access/screen";

describe("clientKey", () => {
  function keyOf(address?: string): string {
    return clientKey(new Request("https://example.com/", { headers: address ? { "cf-connecting-ip": address } : {} }));
  }

  it.each([
    ["203.0.113.9", "203.0.113.9"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::9", "2001:db8:1:2::/64"],
    ["2001:DB8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["2001:0db8:0001:0002:ffff::", "2001:db8:1:2::/64"],
  ])("%s counts as %s", (address, key) => {
    expect(keyOf(address)).toBe(key);
  });

  it("every address of one /64 shares a key", () => {
    expect(keyOf("2001:db8:1:2:aaaa::1")).toBe(keyOf("2001:db8:1:2:bbbb::2"));
  });

  it("a request without the header has a key too", () => {
    expect(keyOf()).toBe("unknown");
  });
});
