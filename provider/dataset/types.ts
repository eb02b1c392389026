import type { MethodType } from "../api-contract";

/** The training formats a JSONL dataset can be in. */
export type DatasetFormat = "chat" | "dpo" | "reinforcement" | "prompt_completion";

/** The fine-tuning methods of the API; each fixes the format its data must have. */
export type FineTuneMethod = MethodType;

/** Tokenizer encodings used by fine-tunable models. */
export type TokenEncoding = "o200k_base" | "cl100k_base";

/** One finding about a dataset; `line` is 1-based (0 for the file as a whole). */
export interface DatasetIssue {
  line: number;
  /** Stable machine-readable code, e.g. `invalid_json`, `missing_content`. */
  code: string;
  message: string;
}

export interface AnalyzeOptions {
  /** Base model: chooses the tokenizer, the per-example token limit and the price. */
  model?: string;
  /** Fixes the expected format; without it the format is detected from the first valid line. */
  method?: FineTuneMethod;
  /** `n_epochs`; "auto" or undefined applies OpenAI's auto-epochs rule. */
  nEpochs?: number | "auto";
  /**
   * false: check the format only, without the tokenizer (several times faster). The report then
   * has no token counts and no cost estimate. For checks that show no cost, like a TrainingFile's.
   */
  countTokens?: boolean;
  /** Price per 1M training tokens overriding the model facts file. */
  pricePerMillionTokens?: number;
  /** Prices per 1M training tokens by model id or alias, overriding the model facts file. */
  priceOverrides?: Record<string, number>;
  /** Called now and then with bytes read so far (for progress bars and logs). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * The content's sha256 when the caller already has it (a TrainingFile hashes its dataset in the
   * program): a cache hit then reads nothing. Whoever uploads must still check the bytes.
   */
  sha256?: string;
  /** Skip the on-disk result cache (keyed by content hash and options). */
  noCache?: boolean;
  /** Cache directory; default `$OPENAI_FINETUNE_CACHE_DIR`, else `${XDG_CACHE_HOME:-~/.cache}/pulumi-openai-finetune`. */
  cacheDir?: string;
  /**
   * Worker threads for validation and token counting. Default: one per core for inputs over
   * 8 MB, none (in-process) for smaller ones. 0 forces in-process work.
   */
  workers?: number;
  /** A line longer than this is reported as `line_too_long` and skipped (default 128 MiB). */
  maxLineBytes?: number;
}

export interface DatasetReport {
  file?: string;
  sha256: string;
  bytes: number;
  format: DatasetFormat | null;
  examples: number;
  /** false when the check ran with `countTokens: false`: tokens, billed tokens and cost are 0 and null. */
  tokensCounted: boolean;
  /** Tokens in the file by the cookbook formula (per example, before the per-example limit). */
  tokens: number;
  /** sum(min(limit, example tokens)) x epochs. */
  billedTokens: number;
  epochs: number;
  /** null when the model or its price is unknown. */
  estimatedCostUsd: number | null;
  /** First 100 errors; `errorCount` has the total. */
  errors: DatasetIssue[];
  errorCount: number;
  warnings: DatasetIssue[];
  warningCount: number;
  /** true when `errorCount` is 0. */
  valid?: boolean;
  /** The model as asked for, and what it resolved to (null when unknown). */
  model?: string | null;
  resolvedModel?: string | null;
  method?: FineTuneMethod | null;
  encoding?: TokenEncoding;
  /** Per-example token limit applied (null when unknown: no truncation is assumed). */
  tokenLimit?: number | null;
  /** Price per 1M training tokens used for the estimate (null when unknown). */
  pricePerMillionTokens?: number | null;
  /** Examples over the token limit (they are truncated by the API, not rejected). */
  truncatedExamples?: number;
  /** true when the result came from the on-disk cache. */
  cached?: boolean;
}
