/**
 * A watch on an upstream body that stops streaming: the runtime would otherwise hold the client's connection open for
 * as long as the upstream does. Off unless UPSTREAM_IDLE_TIMEOUT_SECONDS is set, because every watched byte passes
 * through JavaScript instead of the runtime's own pipe.
 */
import { logEvent } from "../core/log";

/**
 * The most one read of a watched body asks for. The runtime's default reads are 4 KiB, each a turn of JavaScript;
 * larger reads cost far less CPU per byte for a little more memory per stream (README, Reliability, has the figures
 * from `npm run bench:load`).
 */
const READ_BYTES = 1024 * 1024;

/**
 * Passes `body` through, erroring it (and cancelling the source) when a read waits longer than `idleMs`. The clock
 * runs only while the consumer waits for the upstream, never while a slow client holds back: upstream is read only
 * when the consumer reads, and nothing is held (high-water mark 0). A client whose layer stalls mid-body sees its
 * connection fail short of Content-Length instead of waiting forever. One timer serves many reads (it re-arms for
 * the time left), since a timer per read costs more CPU than the copy itself.
 */
export function watchIdle(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  stalled: () => Error,
): ReadableStream<Uint8Array> {
  const reader = openReader(body);
  let waitingSince = 0; // when the pending read started; 0 while none is pending
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failure: Error | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stopTimer = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const check = (): void => {
    timer = null;
    if (waitingSince === 0 || failure) return; // the next read re-arms
    const waited = Date.now() - waitingSince;
    if (waited < idleMs) {
      timer = setTimeout(check, idleMs - waited);
      return;
    }
    failure = stalled();
    logEvent("error", "upstream body stalled", { error: failure.message });
    controller.error(failure);
    reader.cancel(failure).catch(() => undefined);
  };
  return new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      async pull() {
        waitingSince = Date.now();
        timer ??= setTimeout(check, idleMs);
        try {
          const { done, value } = await reader.read();
          if (failure) return;
          if (!done) return controller.enqueue(value);
          stopTimer();
          controller.close();
        } catch (error) {
          stopTimer();
          if (!failure) controller.error(error);
        } finally {
          waitingSince = 0;
        }
      },
      cancel: (reason) => {
        stopTimer();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads a fetched body (a byte stream) in large pieces; any other stream as its chunks come. */
function openReader(body: ReadableStream<Uint8Array>): {
  read: () => Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel: (reason: unknown) => Promise<void>;
} {
  try {
    const reader = body.getReader({ mode: "byob" });
    return { read: () => reader.read(new Uint8Array(READ_BYTES)), cancel: (reason) => reader.cancel(reason) };
  } catch {
    const reader = body.getReader();
    return { read: () => reader.read(), cancel: (reason) => reader.cancel(reason) };
  }
}
