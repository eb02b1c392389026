/**
 * Format detection, done on the first batches of the one pass (they are held until it decides): the
 * first format the first valid line satisfies; else the shape of the first JSON object line.
 */
import { checkExample, familyOf, isPlainObject, shapeOf, type LineSink } from "./lines";
import type { DatasetFormat } from "./types";

/** Every format, in the order detection tries them. */
export const ALL_FORMATS: DatasetFormat[] = ["chat", "dpo", "prompt_completion", "reinforcement"];

/** Detection looks this far for a valid line before falling back to the first line's shape. */
export const DETECT_MAX_LINES = 10000;
export const DETECT_MAX_BYTES = 32 << 20;

const NULL_SINK: LineSink & { errors: number } = {
  errors: 0,
  error() {
    this.errors++;
  },
  warning() {},
  note() {},
};

const decoder = new TextDecoder("utf-8", { fatal: false });

export class FormatDetector {
  private lines = 0;
  private bytes = 0;
  private fallback: DatasetFormat | null = null;
  /** Set once decided: `valid` says a line satisfied it (else it is the first line's shape, or null). */
  result: { format: DatasetFormat | null; valid: boolean } | null = null;

  /** Looks at a batch of whole lines; true once the format is decided. */
  feed(bytes: Uint8Array): boolean {
    if (this.result) return true;
    let start = 0;
    while (start < bytes.length && !this.result) {
      let end = bytes.indexOf(10, start);
      if (end === -1) end = bytes.length;
      this.line(decoder.decode(bytes.subarray(start, end)));
      start = end + 1;
    }
    this.bytes += bytes.length;
    if (!this.result && (this.lines > DETECT_MAX_LINES || this.bytes >= DETECT_MAX_BYTES)) this.end();
    return this.result !== null;
  }

  /** No more lines: decide from what was seen. */
  end(): { format: DatasetFormat | null; valid: boolean } {
    this.result ??= { format: this.fallback, valid: false };
    return this.result;
  }

  private line(raw: string): void {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!text.trim() || ++this.lines > DETECT_MAX_LINES) return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      return;
    }
    if (!isPlainObject(obj)) return;
    const fam = shapeOf(obj);
    for (const format of ALL_FORMATS) {
      if (fam && familyOf(format) !== fam) continue;
      NULL_SINK.errors = 0;
      checkExample(obj, { format, vision: null }, NULL_SINK);
      if (NULL_SINK.errors === 0) {
        this.result = { format, valid: true };
        return;
      }
    }
    if (!this.fallback && fam) this.fallback = ALL_FORMATS.find((f) => familyOf(f) === fam) ?? null;
  }
}
