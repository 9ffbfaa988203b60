/**
 * A streaming writer for the POSIX ustar format, enough for image layers: directories and regular files, written
 * with fixed owners and times so a layer's bytes depend only on its content.
 * https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06
 */

/** One member of a layer archive. */
export type TarEntry =
  | { kind: "dir"; path: string }
  | { kind: "file"; path: string; mode: number; size: number; body: Buffer | AsyncIterable<Buffer> };

const BLOCK = 512;
/** 2024-01-01T00:00:00Z: a fixed time keeps layers reproducible. */
const MTIME = 1_704_067_200;

/** A directory entry (the path gets its trailing slash here). */
export function dir(path: string): TarEntry {
  return { kind: "dir", path: path.endsWith("/") ? path : `${path}/` };
}

/** A regular file with small in-memory content. */
export function file(path: string, content: string, mode = 0o644): TarEntry {
  const body = Buffer.from(content);
  return { kind: "file", path, mode, size: body.length, body };
}

/** Streams the archive: each header, each body padded to a whole block, then the two zero blocks that end it. */
export async function* tar(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    if (entry.kind === "dir") {
      yield header(entry.path, 0o755, 0, "5");
      continue;
    }
    yield header(entry.path, entry.mode, entry.size, "0");
    let written = 0;
    for await (const chunk of Buffer.isBuffer(entry.body) ? [entry.body] : entry.body) {
      written += chunk.length;
      yield chunk;
    }
    if (written !== entry.size) throw new Error(`tar: ${entry.path} has ${written} bytes, header says ${entry.size}`);
    const padding = (BLOCK - (written % BLOCK)) % BLOCK;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  yield Buffer.alloc(2 * BLOCK);
}

function header(path: string, mode: number, size: number, type: "0" | "5"): Buffer {
  if (Buffer.byteLength(path) > 100) throw new Error(`tar: path too long for a plain ustar name: ${path}`);
  const block = Buffer.alloc(BLOCK);
  block.write(path, 0, 100, "utf8");
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, MTIME);
  block.write(type, 156, 1, "ascii");
  block.write("ustar\u000000", 257, 8, "ascii");
  block.write("root", 265, 32, "ascii");
  block.write("root", 297, 32, "ascii");
  // The checksum is computed with its own field read as eight spaces.
  block.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "ascii");
  return block;
}

/** Writes a zero-padded octal number that fills the field but its final NUL. */
function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8).padStart(length - 1, "0");
  if (digits.length > length - 1) throw new Error(`tar: ${value} does not fit in ${length} bytes`);
  block.write(`${digits}\u0000`, offset, length, "ascii");
}
