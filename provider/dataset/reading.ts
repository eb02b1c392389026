/**
 * Reading a dataset's bytes: one reused buffer for files (constant memory), views of the buffer for
 * in-memory content, and the one place that decides what a byte order mark means.
 */
import { open } from "node:fs/promises";

export type DatasetSource = { path: string } | { content: string | Buffer | Uint8Array };

/** Bytes read per read() call. */
export const READ_BYTES = 256 << 10;

/**
 * The source's bytes in order, as views of one reused buffer (for files): a consumer must copy
 * what it keeps past the next iteration. No per-chunk allocation, so memory stays flat.
 */
export async function* readChunks(source: DatasetSource, size = READ_BYTES): AsyncGenerator<Buffer> {
  if ("path" in source) {
    const fh = await open(source.path, "r");
    try {
      const buf = Buffer.allocUnsafeSlow(size);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, size, null);
        if (bytesRead === 0) break;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  } else {
    const buf = toBuffer(source.content);
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
  }
}

export function toBuffer(content: string | Buffer | Uint8Array): Buffer {
  if (typeof content === "string") return Buffer.from(content, "utf8");
  return Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

type BomKind = "utf8" | "utf16le" | "utf16be" | "utf32le" | "utf32be";

function bomOf(b: Uint8Array): BomKind | null {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return "utf8";
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return "utf32le";
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return "utf32be";
  if (b[0] === 0xff && b[1] === 0xfe) return "utf16le";
  if (b[0] === 0xfe && b[1] === 0xff) return "utf16be";
  return null;
}

/** What the start of a file says about its encoding: the bytes to skip, and an error when it is not UTF-8 text as required. */
export interface BomVerdict {
  /** Bytes of the mark, skipped before the first line. */
  skip: number;
  /** The file is not UTF-8 at all: nothing else can be checked. */
  fatal: boolean;
  /** The `bom` error to report, if any. */
  message: string | null;
}

/** The one place that decides what a byte order mark at the start of a dataset means. */
export function bomVerdict(first: Uint8Array): BomVerdict {
  const bom = bomOf(first);
  // A UTF-8 mark is accepted on every platform (Azure's docs ask for one); it is skipped, and still hashed.
  if (bom === "utf8") return { skip: 3, fatal: false, message: null };
  if (bom) return { skip: 0, fatal: true, message: `the file is ${bom.toUpperCase()} (byte order mark found): training files must be UTF-8` };
  return { skip: 0, fatal: false, message: null };
}
