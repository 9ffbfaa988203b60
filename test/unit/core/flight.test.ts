import { describe, expect, it } from "vitest";
import { type Flights, follow, join, lead, leadOrFollow, settleWith, takeLead } from "../../../src/core/flight";
import { BoundedMap } from "../../../src/core/isolate";

const LONG_BOUND_MS = 60_000;

function flights<T>(): Flights<T> {
  return new BoundedMap<string, Promise<T>>(10);
}

/** How long `promise` took to settle, in ms, or "bound" if it has not within 1 s. */
async function timeOf(promise: Promise<unknown>): Promise<number | "bound"> {
  const start = Date.now();
  const bound = new Promise<"bound">((resolve) => setTimeout(() => resolve("bound"), 1000));
  const outcome = await Promise.race([promise.then(() => "settled" as const), bound]);
  return outcome === "bound" ? "bound" : Date.now() - start;
}

describe("single flight (core/flight.ts)", () => {
  it("lets exactly one of two concurrent misses lead", () => {
    const memory = flights<boolean>();
    expect(lead(memory, "k")).toBeTypeOf("function");
    expect(lead(memory, "k")).toBeUndefined();
  });

  it("releases a follower at once when the leader's fill throws, not after the follower's bound", async () => {
    const memory = flights<boolean>();
    const landing = lead(memory, "k");
    const followed = follow(memory, "k", LONG_BOUND_MS);
    const fill = settleWith(landing, Promise.reject(new Error("store failed")));
    await expect(fill).rejects.toThrow("store failed");
    expect(await timeOf(followed)).toBeLessThan(500);
    expect(await followed).toBe(false);
    expect(memory.has("k")).toBe(false);
  });

  it("tells followers a fill landed, and forgets the flight", async () => {
    const memory = flights<boolean>();
    const landing = lead(memory, "k");
    const followed = follow(memory, "k", LONG_BOUND_MS);
    await settleWith(landing, Promise.resolve(true));
    expect(await followed).toBe(true);
    expect(memory.has("k")).toBe(false);
  });

  it("a follower whose leader failed takes the lead, so later misses follow it", async () => {
    const memory = flights<boolean>();
    const first = lead(memory, "k");
    const second = leadOrFollow(memory, "k", LONG_BOUND_MS, async () => "cached");
    first?.(false);
    const outcome = await second;
    expect("landing" in outcome).toBe(true);
    expect(lead(memory, "k")).toBeUndefined();
  });

  it("a follower whose leader landed gets what the fill left", async () => {
    const memory = flights<boolean>();
    const first = lead(memory, "k");
    const second = leadOrFollow(memory, "k", LONG_BOUND_MS, async () => "cached");
    first?.(true);
    expect(await second).toEqual({ landed: "cached" });
  });

  it("takeLead replaces a stalled leader whose late report no longer clears the new flight", () => {
    const memory = flights<boolean>();
    const stalled = lead(memory, "k");
    takeLead(memory, "k");
    stalled?.(false);
    expect(memory.has("k")).toBe(true);
  });

  it("join shares one piece of work among concurrent callers and forgets it once settled", async () => {
    const memory = flights<number>();
    let started = 0;
    const start = async () => ++started;
    const [a, b] = await Promise.all([join(memory, "p", start), join(memory, "p", start)]);
    expect([a, b, started]).toEqual([1, 1, 1]);
    expect(memory.has("p")).toBe(false);
    expect(await join(memory, "p", start)).toBe(2);
  });
});
