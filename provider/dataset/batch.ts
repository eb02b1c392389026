/**
 * Processing of a batch of whole lines (raw bytes): UTF-8 decoding, JSON parsing, validation,
 * token counting. Runs inside the worker threads, or in-process for small inputs. The result is a
 * small summary (counts plus at most MAX_ISSUES errors and warnings), whatever the batch size.
 */
import { MAX_ISSUES } from "./codes";
import { checkExample, countExampleTokens, familyLabel, familyOf, FORMAT_LABEL, isPlainObject, shapeOf, type LineSink, type TokenCounter } from "./lines";
import { tokenCounter } from "./tokens";
import type { DatasetFormat, DatasetIssue, TokenEncoding } from "./types";

/** What a batch needs to know; plain data, so it can go to a worker. */
export interface BatchContext {
  format: DatasetFormat;
  /** Why the allowed formats are restricted ("method dpo", "model babbage-002"); null when any goes. */
  formatFixedBy: string | null;
  /** Formats the method/model accept; a line of another family is a `format_mismatch`. */
  allowedFormats: DatasetFormat[];
  /** Encodings every valid example is counted with (empty: a format-only check). */
  encodings: TokenEncoding[];
  /** Per encoding, examples over this many tokens are remembered with their line (the smallest per-example limit of a model using it). */
  longOver: Partial<Record<TokenEncoding, number>>;
  /** Lines longer than this (bytes) are reported as `line_too_long` and not parsed. */
  maxLineBytes: number;
}

export interface NoteCount {
  count: number;
  firstLine: number;
}

/**
 * Tokens of the valid examples with one encoding: enough for any model's per-example limit, epochs and
 * price without reading the data again (sum(min(limit, t)) is arithmetic on the counts).
 */
export interface TokenStats {
  total: number;
  /** Examples by token count: `counts[t]` examples have exactly t tokens. */
  counts: Record<string, number>;
  /** The first MAX_ISSUES examples over `longOver` tokens, as [line, tokens]. */
  long: [number, number][];
}

export function emptyTokenStats(): TokenStats {
  return { total: 0, counts: {}, long: [] };
}

export interface BatchResult {
  /** Lines in the batch, blank ones included. */
  lines: number;
  /** Non-blank lines. */
  examples: number;
  validExamples: number;
  /** First line (1-based) that was valid, or 0. */
  firstValidLine: number;
  tokens: Partial<Record<TokenEncoding, TokenStats>>;
  errors: DatasetIssue[];
  errorCount: number;
  warnings: DatasetIssue[];
  warningCount: number;
  notes: Record<string, NoteCount>;
}

export function emptyResult(): BatchResult {
  return {
    lines: 0,
    examples: 0,
    validExamples: 0,
    firstValidLine: 0,
    tokens: {},
    errors: [],
    errorCount: 0,
    warnings: [],
    warningCount: 0,
    notes: {},
  };
}

class ResultSink implements LineSink {
  line = 0;
  lineErrors = 0;
  constructor(readonly r: BatchResult) {}
  error(code: string, message: string): void {
    this.lineErrors++;
    this.r.errorCount++;
    if (this.r.errors.length < MAX_ISSUES) this.r.errors.push({ line: this.line, code, message });
  }
  warning(code: string, message: string): void {
    this.r.warningCount++;
    if (this.r.warnings.length < MAX_ISSUES) this.r.warnings.push({ line: this.line, code, message });
  }
  note(code: string): void {
    const n = this.r.notes[code];
    if (n) n.count++;
    else this.r.notes[code] = { count: 1, firstLine: this.line };
  }
}

const counters = new Map<TokenEncoding, TokenCounter>();
function counterFor(encoding: TokenEncoding): TokenCounter {
  let c = counters.get(encoding);
  if (!c) counters.set(encoding, (c = tokenCounter(encoding)));
  return c;
}

const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

/** Processes one line of text (without its newline). */
export function processLine(text: string, lineNo: number, ctx: BatchContext, sink: ResultSink, counters: [TokenEncoding, TokenCounter][]): void {
  const r = sink.r;
  sink.line = lineNo;
  sink.lineErrors = 0;
  if (text.length && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
  if (text.trim() === "") {
    sink.warning("blank_line", "blank line (skipped)");
    return;
  }
  r.examples++;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    sink.error("invalid_json", `not valid JSON: ${(e as Error).message}`);
    return;
  }
  if (isPlainObject(obj)) {
    const fam = shapeOf(obj);
    if (fam && fam !== familyOf(ctx.format)) {
      if (!ctx.allowedFormats.some((f) => familyOf(f) === fam)) {
        const needs = ctx.allowedFormats.map((f) => FORMAT_LABEL[f]).join(" or ");
        sink.error("format_mismatch", `a ${familyLabel(fam)} example, but ${ctx.formatFixedBy ?? "the file"} needs ${needs} examples`);
      } else {
        sink.error("mixed_formats", `a ${familyLabel(fam)} example in a ${FORMAT_LABEL[ctx.format]} file (format from its first valid line)`);
      }
      return;
    }
  }
  checkExample(obj, { format: ctx.format, vision: null }, sink);
  if (sink.lineErrors > 0) return;
  r.validExamples++;
  if (!r.firstValidLine) r.firstValidLine = lineNo;
  for (const [encoding, count] of counters) {
    const tokens = countExampleTokens(obj, ctx.format, count);
    const stats = (r.tokens[encoding] ??= emptyTokenStats());
    stats.total += tokens;
    stats.counts[tokens] = (stats.counts[tokens] ?? 0) + 1;
    if (tokens > (ctx.longOver[encoding] ?? Infinity) && stats.long.length < MAX_ISSUES) stats.long.push([lineNo, tokens]);
  }
}

/**
 * Processes a batch of whole lines. `bytes` holds complete lines, each ended by "\n" except
 * possibly the last line of the file; `firstLine` is the 1-based number of its first line.
 */
export function processBatch(bytes: Uint8Array, firstLine: number, ctx: BatchContext): BatchResult {
  const r = emptyResult();
  const sink = new ResultSink(r);
  const counters = ctx.encodings.map((e) => [e, counterFor(e)] as [TokenEncoding, TokenCounter]);
  // Lines are decoded one by one: small strings die young (cheap scavenges), where one string
  // per batch would land in large-object space and pile up until a full GC.
  let start = 0;
  let lineNo = firstLine;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    const slice = bytes.subarray(start, end);
    if (slice.length > ctx.maxLineBytes) {
      sink.line = lineNo;
      r.examples++;
      sink.error("line_too_long", `line is ${slice.length} bytes, over the ${ctx.maxLineBytes}-byte limit; not checked`);
      r.lines++;
      lineNo++;
      start = end + 1;
      continue;
    }
    let line: string | null;
    try {
      line = fatalDecoder.decode(slice);
    } catch {
      line = null;
    }
    if (line !== null) processLine(line, lineNo, ctx, sink, counters);
    else {
      sink.line = lineNo;
      r.examples++;
      const bad = firstInvalidUtf8(slice);
      sink.error("invalid_utf8", `bytes that are not UTF-8 at byte ${bad + 1} of the line (0x${slice[bad]?.toString(16).padStart(2, "0")})`);
    }
    r.lines++;
    lineNo++;
    start = end + 1;
  }
  return r;
}

/** Offset of the first byte that breaks UTF-8 in `b` (b must contain one). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = 0;
    let min = 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    if (i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return 0;
}

/** Merges `b` (which follows `a` in the file) into `a`. */
export function mergeResults(a: BatchResult, b: BatchResult): BatchResult {
  a.lines += b.lines;
  a.examples += b.examples;
  a.validExamples += b.validExamples;
  if (!a.firstValidLine) a.firstValidLine = b.firstValidLine;
  for (const [encoding, stats] of Object.entries(b.tokens) as [TokenEncoding, TokenStats][]) {
    const into = (a.tokens[encoding] ??= emptyTokenStats());
    into.total += stats.total;
    for (const [t, n] of Object.entries(stats.counts)) into.counts[t] = (into.counts[t] ?? 0) + n;
    for (const l of stats.long) if (into.long.length < MAX_ISSUES) into.long.push(l);
  }
  a.errorCount += b.errorCount;
  for (const e of b.errors) if (a.errors.length < MAX_ISSUES) a.errors.push(e);
  a.warningCount += b.warningCount;
  for (const w of b.warnings) if (a.warnings.length < MAX_ISSUES) a.warnings.push(w);
  for (const [code, n] of Object.entries(b.notes)) {
    const m = a.notes[code];
    if (m) m.count += n.count;
    else a.notes[code] = { ...n };
  }
  return a;
}
