/**
 * A content-addressed directory of fixture blobs (`blobs/sha256/<hex>`). Layers stream from tar through gzip to disk,
 * hashed on the way, so a large image never sits in memory.
 */
import { createHash, type Hash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { type TarEntry, tar } from "./tar";

/** Digest and size of a stored blob. */
export interface StoredBlob {
  digest: string;
  size: number;
}

/** A stored gzip'ed layer and the digest of its uncompressed tar (the config's diff_id). */
export interface StoredLayer extends StoredBlob {
  diffId: string;
}

/** Blobs on disk, addressed by sha256 digest. */
export class BlobStore {
  constructor(readonly root: string) {}

  /** Where the blob with this digest lives (or would live). */
  path(digest: string): string {
    return join(this.root, "blobs", ...digest.split(":"));
  }

  /** Whether every one of these blobs is on disk. */
  async has(digests: string[]): Promise<boolean> {
    const found = await Promise.all(
      digests.map((d) =>
        access(this.path(d)).then(
          () => true,
          () => false,
        ),
      ),
    );
    return found.every(Boolean);
  }

  /** Stores small content, such as a config or a manifest. */
  async writeBytes(content: Buffer): Promise<StoredBlob> {
    const digest = `sha256:${createHash("sha256").update(content).digest("hex")}`;
    const temp = await this.#tempPath();
    await writeFile(temp, content);
    await this.#place(temp, digest);
    return { digest, size: content.length };
  }

  /** Streams the entries into a gzip'ed tar at the given deflate level. */
  async writeLayer(entries: TarEntry[], level: number): Promise<StoredLayer> {
    const tarHash = createHash("sha256");
    const gzipHash = createHash("sha256");
    let size = 0;
    const temp = await this.#tempPath();
    await pipeline(
      tar(entries),
      tap(tarHash),
      createGzip({ level }),
      tap(gzipHash, (n) => (size += n)),
      createWriteStream(temp),
    );
    const digest = `sha256:${gzipHash.digest("hex")}`;
    await this.#place(temp, digest);
    return { digest, size, diffId: `sha256:${tarHash.digest("hex")}` };
  }

  /** Renames into place so an interrupted build never leaves a truncated blob under a valid digest. */
  async #place(temp: string, digest: string): Promise<void> {
    const target = this.path(digest);
    await mkdir(join(target, ".."), { recursive: true });
    await rename(temp, target);
  }

  async #tempPath(): Promise<string> {
    const dir = join(this.root, "tmp");
    await mkdir(dir, { recursive: true });
    return join(dir, randomUUID());
  }
}

/** A pass-through stage that hashes (and counts) what flows by. */
function tap(hash: Hash, count: (bytes: number) => void = () => undefined) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      count(chunk.length);
      yield chunk;
    }
  };
}
