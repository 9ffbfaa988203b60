/**
 * Digest checks on the way into the cache: bytes are stored only when they hash to the digest they were asked by.
 * A content address that names other bytes would poison every client that trusts it, so a mismatch is an error the
 * store sees (and logs), never a warning.
 * Digest grammar: https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
 */

import { BodyLimitError, readBounded } from "../core/body";
import { parseDigest } from "../routing/reference";
import { formatDigest, hashOf } from "./keys";

/** Thrown when bytes do not hash to the digest they should; the store that sees it keeps nothing. */
export class DigestMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly bytes: number,
  ) {
    super(`content hashes to ${actual}, not ${expected}`);
    this.name = "DigestMismatch";
  }
}

/** Large reads keep the JS work per megabyte small: hashing is native, the loop around it is not. */
const READ_SIZE = 1024 * 1024;
const READ_AT_LEAST = 256 * 1024;

/**
 * Reads a stream to its end through crypto.DigestStream and resolves to its length if it hashes to `digest`;
 * throws DigestMismatch if not (a stream cut short hashes to something else too), or the stream's own error.
 * It only reads: the cache write takes its own tee() branch, since a cache write fed from a JS stream is slow
 * (many times slower than a native one) and may keep what it got even when that stream errors.
 */
export async function hashStream(body: ReadableStream<Uint8Array>, digest: string): Promise<number> {
  const parsed = parseDigest(digest);
  if (!parsed) throw new Error(`cannot verify ${digest}`);
  const hasher = new crypto.DigestStream(hashOf(parsed.algorithm).name);
  const writer = hasher.getWriter();
  let bytes = 0;
  try {
    for await (const chunk of chunksOf(body)) {
      bytes += chunk.byteLength;
      await writer.write(chunk);
    }
    await writer.close();
  } catch (error) {
    hasher.digest.catch(() => undefined); // abandoned along with the stream
    await writer.abort(error).catch(() => undefined);
    throw error;
  }
  const actual = formatDigest(parsed.algorithm, await hasher.digest);
  if (actual !== digest) throw new DigestMismatch(digest, actual, bytes);
  return bytes;
}

/** A stream's chunks: read a megabyte at a time where the stream allows it (workerd's readAtLeast), else as they come. */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    byob = undefined; // a stream made in JS without type "bytes"
  }
  if (!byob) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  }
  // One buffer for the whole read: each read hands it to the stream and gets it back holding the chunk, which the
  // caller has hashed (awaited its write) before asking for the next.
  let buffer = new ArrayBuffer(READ_SIZE);
  for (;;) {
    const { done, value } = await byob.readAtLeast(READ_AT_LEAST, new Uint8Array(buffer));
    if (value && value.byteLength > 0) yield value;
    if (done || !value) return;
    buffer = value.buffer as ArrayBuffer;
  }
}

/**
 * Reads a small body (a manifest) into memory, refusing more than `maxBytes`. Returns the bytes and their digest
 * with the algorithm of `expected` (sha256 when there is none); throws DigestMismatch when `expected` is given and differs.
 */
export async function readVerified(
  body: ReadableStream<Uint8Array>,
  expected: string | undefined,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; digest: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(body, { maxBytes });
  } catch (error) {
    throw error instanceof BodyLimitError ? new Error(`body larger than ${maxBytes} bytes`) : error;
  }
  const algorithm = expected === undefined ? "sha256" : parseDigest(expected)?.algorithm;
  if (!algorithm) throw new Error(`cannot verify ${expected}`);
  const digest = formatDigest(algorithm, await crypto.subtle.digest(hashOf(algorithm).name, bytes));
  if (expected !== undefined && digest !== expected) throw new DigestMismatch(expected, digest, bytes.byteLength);
  return { bytes, digest };
}
