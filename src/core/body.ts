/**
 * Reading a whole body that must be small (a token, a login form): at most `maxBytes`, within `timeoutMs`. The read
 * stops, and the stream is cancelled, as soon as either limit is passed, so a body that never ends or never arrives
 * holds at most the limit plus the chunk that crossed it, for at most the deadline.
 */
import { RegistryError } from "./errors";

/** Why a bounded read gave up. */
export type BodyLimit = "too large" | "too slow";

/** Thrown by readBounded when a limit is passed; the caller turns it into its own error. */
export class BodyLimitError extends Error {
  constructor(readonly limit: BodyLimit) {
    super(`body ${limit}`);
    this.name = "BodyLimitError";
  }
}

/** Limits for one body. `deadline` (ms since the epoch) lets a caller share one clock between headers and body. */
export interface BodyLimits {
  maxBytes: number;
  timeoutMs?: number;
  deadline?: number;
}

/** Reads `body` whole, within the limits; a Content-Length already known to be too large fails before any read. */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  limits: BodyLimits,
  declaredLength?: string | null,
): Promise<Uint8Array> {
  if (Number(declaredLength ?? 0) > limits.maxBytes) {
    await body?.cancel().catch(() => undefined);
    throw new BodyLimitError("too large");
  }
  if (body === null) return new Uint8Array(0);
  const deadline = limits.deadline ?? Date.now() + (limits.timeoutMs ?? Number.POSITIVE_INFINITY);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    const left = deadline - Date.now();
    if (Number.isFinite(left)) timer = setTimeout(() => reject(new BodyLimitError("too slow")), Math.max(0, left));
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), expired]);
      if (done) break;
      size += value.byteLength;
      if (size > limits.maxBytes) throw new BodyLimitError("too large");
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel(error).catch(() => undefined);
    throw error;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** readBounded, decoded as UTF-8 text. */
export async function readBoundedText(
  body: ReadableStream<Uint8Array> | null,
  limits: BodyLimits,
  declaredLength?: string | null,
): Promise<string> {
  return new TextDecoder().decode(await readBounded(body, limits, declaredLength));
}

/** A token request's form (OAuth2 POST) is a few hundred bytes: 16 KiB is generous, and 10 s long enough to send it. */
const FORM_LIMITS = { maxBytes: 16 * 1024, timeoutMs: 10_000 };

/** Reads a request's urlencoded form within FORM_LIMITS: 413 past the size, 408 past the time, nothing more held. */
export async function readSmallForm(request: Request): Promise<URLSearchParams> {
  try {
    return new URLSearchParams(await readBoundedText(request.body, FORM_LIMITS, request.headers.get("content-length")));
  } catch (error) {
    if (!(error instanceof BodyLimitError)) throw error;
    if (error.limit === "too large")
      throw new RegistryError("UNSUPPORTED", "token request body too large", { status: 413 });
    throw new RegistryError("UNSUPPORTED", `token request body not received within ${FORM_LIMITS.timeoutMs / 1000} s`, {
      status: 408,
    });
  }
}
