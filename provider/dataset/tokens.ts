/**
 * gpt-tokenizer encoders, loaded lazily (each costs ~70 MB and ~0.25 s). The per-encoding entry
 * points are used because `gpt-tokenizer/models` is broken under CommonJS in 4.0.0.
 * Special-token text such as `<|endoftext|>` in training data is counted as ordinary text.
 */
import type { TokenEncoding } from "./types";
import type { TokenCounter } from "./lines";

interface Encoder {
  countTokens(text: string, opts?: { disallowedSpecial?: Set<string> }): number;
  encode(text: string, opts?: { disallowedSpecial?: Set<string> }): number[];
  setMergeCacheSize?(size: number): void;
}

const loaded = new Map<TokenEncoding, Encoder>();

export function getEncoder(encoding: TokenEncoding): Encoder {
  let enc = loaded.get(encoding);
  if (!enc) {
    switch (encoding) {
      case "o200k_base":
        enc = require("gpt-tokenizer/encoding/o200k_base") as Encoder;
        break;
      case "cl100k_base":
        enc = require("gpt-tokenizer/encoding/cl100k_base") as Encoder;
        break;
      default:
        throw new Error(`unsupported encoding: ${String(encoding)}`);
    }
    loaded.set(encoding, enc);
  }
  return enc;
}

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

/** Strings up to this length are remembered with their count (roles, names, system prompts). */
const MEMO_MAX_LENGTH = 1024;
const MEMO_MAX_ENTRIES = 4096;

/**
 * A counter for an encoding: `(text) => number of tokens`. Short strings are memoized: datasets
 * repeat the same role names and, very often, the same system prompt on every line.
 */
export function tokenCounter(encoding: TokenEncoding): TokenCounter {
  const enc = getEncoder(encoding);
  const memo = new Map<string, number>();
  return (text: string) => {
    if (text.length === 0) return 0;
    if (text.length > MEMO_MAX_LENGTH) return enc.countTokens(text, NO_SPECIAL);
    let n = memo.get(text);
    if (n === undefined) {
      n = enc.countTokens(text, NO_SPECIAL);
      if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
      memo.set(text, n);
    }
    return n;
  };
}

/** Tokens of a plain string with an encoding (special tokens as text). */
export function countTextTokens(text: string, encoding: TokenEncoding): number {
  return tokenCounter(encoding)(text);
}
