/**
 * The package's one content-hashing implementation: sha256 (TrainingFile.contentHash, the cache key,
 * the proof at upload) and md5 (the Uploads API's check), fed in order from any stream of bytes.
 */
import { createHash, type Hash } from "node:crypto";
import { readChunks, toBuffer } from "./reading";

export interface ContentDigest {
  sha256: string;
  md5: string;
  bytes: number;
}

export interface ContentHasher {
  update(chunk: Uint8Array): void;
  digest(): ContentDigest;
}

/** A running hash of bytes fed in order. md5 is computed only when asked for (it costs as much as sha256). */
export function contentHasher(opts: { md5?: boolean } = {}): ContentHasher {
  const sha256 = createHash("sha256");
  const md5: Hash | null = opts.md5 ? createHash("md5") : null;
  let bytes = 0;
  return {
    update(chunk) {
      sha256.update(chunk);
      md5?.update(chunk);
      bytes += chunk.length;
    },
    digest: () => ({ sha256: sha256.digest("hex"), md5: md5 ? md5.digest("hex") : "", bytes }),
  };
}

/** The hashes of a whole stream (e.g. a file's content read back from the API). */
export async function hashStream(chunks: AsyncIterable<Uint8Array>, opts: { md5?: boolean } = {}): Promise<ContentDigest> {
  const h = contentHasher(opts);
  for await (const chunk of chunks) h.update(chunk);
  return h.digest();
}

/** sha256 and size of a file, read through one reused buffer (constant memory). */
export async function sha256File(path: string, onProgress?: (bytesRead: number) => void): Promise<{ sha256: string; bytes: number }> {
  const h = contentHasher();
  let read = 0;
  for await (const chunk of readChunks({ path }, 1 << 20)) {
    h.update(chunk);
    read += chunk.length;
    onProgress?.(read);
  }
  const { sha256, bytes } = h.digest();
  return { sha256, bytes };
}

/** sha256 and size of in-memory content (strings are hashed as UTF-8). */
export function sha256Content(content: string | Buffer | Uint8Array): { sha256: string; bytes: number } {
  const h = contentHasher();
  h.update(toBuffer(content));
  const { sha256, bytes } = h.digest();
  return { sha256, bytes };
}
