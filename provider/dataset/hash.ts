/** Streamed content hashes (sha256, hex), as used for TrainingFile.contentHash and the cache key. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** sha256 and size of a file, streamed (constant memory). */
export async function sha256File(
  path: string,
  onProgress?: (bytesRead: number) => void,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onProgress?.(bytes);
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** sha256 and size of in-memory content (strings are hashed as UTF-8). */
export function sha256Content(content: string | Buffer | Uint8Array): { sha256: string; bytes: number } {
  const buf = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  return { sha256: createHash("sha256").update(buf).digest("hex"), bytes: buf.length };
}
