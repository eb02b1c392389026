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

/** A counter for an encoding: `(text) => number of tokens`. */
export function tokenCounter(encoding: TokenEncoding): TokenCounter {
  const enc = getEncoder(encoding);
  return (text: string) => (text.length === 0 ? 0 : enc.countTokens(text, NO_SPECIAL));
}

/** Tokens of a plain string with an encoding (special tokens as text). */
export function countTextTokens(text: string, encoding: TokenEncoding): number {
  return tokenCounter(encoding)(text);
}
