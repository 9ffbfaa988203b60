import { describe, expect, it } from "vitest";
import { DigestMismatch, hashStream, readVerified } from "../../../src/cache/verify";

const bytes = new TextEncoder().encode("layer bytes");
const DIGEST = "sha256:7a3b3a1d6b7a5bd0e4ca1a2c24cba42a6fdb6c4c3b8d3ac7bda8b9ef3f87dc50";

async function sha256(data: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return `sha256:${[...hash].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe("hashStream", () => {
  it("reads a stream to the end and returns its length when it hashes to the digest", async () => {
    const digest = await sha256(bytes);
    expect(await hashStream(streamOf(bytes.slice(0, 5), bytes.slice(5)), digest)).toBe(bytes.byteLength);
    expect(await hashStream(new Response(bytes).body!, digest)).toBe(bytes.byteLength);
  });

  it("reports a mismatch, and a stream cut short is one", async () => {
    const digest = await sha256(bytes);
    await expect(hashStream(streamOf(bytes.slice(0, 5)), digest)).rejects.toBeInstanceOf(DigestMismatch);
    await expect(hashStream(new Response(bytes.slice(0, 5)).body!, digest)).rejects.toBeInstanceOf(DigestMismatch);
  });

  it("passes on the stream's own error", async () => {
    const broken = new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(new Error("reset")) });
    await expect(hashStream(broken, DIGEST)).rejects.toThrow("reset");
  });
});

describe("readVerified", () => {
  it("returns the bytes and their digest, checking an expected one", async () => {
    const digest = await sha256(bytes);
    expect(await readVerified(streamOf(bytes), digest, 1024)).toEqual({ bytes, digest });
    expect((await readVerified(streamOf(bytes), undefined, 1024)).digest).toBe(digest);
    await expect(readVerified(streamOf(bytes), DIGEST, 1024)).rejects.toBeInstanceOf(DigestMismatch);
  });

  it("refuses a body over the limit", async () => {
    await expect(readVerified(streamOf(bytes), undefined, 4)).rejects.toThrow("larger than 4 bytes");
  });
});
