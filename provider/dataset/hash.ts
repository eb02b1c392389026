/** Streamed content hashes (sha256, hex), as used for TrainingFile.contentHash and the cache key. */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

const READ_BYTES = 1 << 20;

/** sha256 and size of a file, read through one reused buffer (constant memory). */
export async function sha256File(
  path: string,
  onProgress?: (bytesRead: number) => void,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  const fh = await open(path, "r");
  let bytes = 0;
  try {
    const buf = Buffer.allocUnsafeSlow(READ_BYTES);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_BYTES, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      bytes += bytesRead;
      onProgress?.(bytes);
    }
  } finally {
    await fh.close();
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** sha256 and size of in-memory content (strings are hashed as UTF-8). */
export function sha256Content(content: string | Buffer | Uint8Array): { sha256: string; bytes: number } {
  const buf = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  return { sha256: createHash("sha256").update(buf).digest("hex"), bytes: buf.length };
}
