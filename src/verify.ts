/**
 * Digest checks on the way into the cache: bytes are stored only when they hash to the digest they were asked by.
 * A content address that names other bytes would poison every client that trusts it, so a mismatch is an error the
 * store sees (and logs), never a warning.
 * Digest grammar: https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
 */
import { digestAlgorithm, formatDigest } from "./cache-keys";

/** Thrown when bytes do not hash to the digest they should; the store that sees it keeps nothing. */
export class DigestMismatch extends Error {
  constructor(readonly expected: string, readonly actual: string, readonly bytes: number) {
    super(`content hashes to ${actual}, not ${expected}`);
    this.name = "DigestMismatch";
  }
}

/**
 * A pass-through stream that hashes what flows through it (crypto.DigestStream, native code). Once whatever reads it
 * has seen it end, `verify()` resolves to the byte count if the bytes hash to `digest` and throws DigestMismatch if
 * not (a stream cut short hashes to something else, too). The stream itself never errors on a mismatch: a cache
 * write fed from an erroring stream may keep what it got, so the caller decides what to keep only after `verify()`.
 */
export function hashingStream(digest: string): { stream: TransformStream<Uint8Array, Uint8Array>; verify: () => Promise<number> } {
  const algorithm = digestAlgorithm(digest);
  if (!algorithm) throw new Error(`cannot verify ${digest.split(":", 1)[0]} digests`);
  const hasher = new crypto.DigestStream(algorithm.name);
  const writer = hasher.getWriter();
  // When the source breaks, the hash is abandoned and its promises reject; verify() reports that case itself.
  hasher.digest.catch(() => undefined);
  let bytes = 0;
  let finished = false;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      bytes += chunk.byteLength;
      await writer.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      await writer.close();
      finished = true;
    },
    cancel(reason) {
      writer.abort(reason).catch(() => undefined);
    },
  });
  const verify = async (): Promise<number> => {
    if (!finished) throw new Error("the stream did not end");
    const actual = formatDigest(digest.split(":", 1)[0]!, await hasher.digest);
    if (actual !== digest) throw new DigestMismatch(digest, actual, bytes);
    return bytes;
  };
  return { stream, verify };
}

/**
 * Reads a small body (a manifest) into memory, refusing more than `maxBytes`. Returns the bytes and their digest
 * with the algorithm of `expected` (sha256 when there is none); throws DigestMismatch when `expected` is given and differs.
 */
export async function readVerified(body: ReadableStream<Uint8Array>, expected: string | undefined, maxBytes: number): Promise<{ bytes: Uint8Array; digest: string }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      throw new Error(`body larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const algorithmName = expected ? expected.split(":", 1)[0]! : "sha256";
  const algorithm = digestAlgorithm(`${algorithmName}:`);
  if (!algorithm) throw new Error(`cannot verify ${algorithmName} digests`);
  const digest = formatDigest(algorithmName, await crypto.subtle.digest(algorithm.name, bytes));
  if (expected !== undefined && digest !== expected) throw new DigestMismatch(expected, digest, length);
  return { bytes, digest };
}
