/** The training formats a JSONL dataset can be in. */
export type DatasetFormat = "chat" | "dpo" | "reinforcement" | "prompt_completion";

/** The fine-tuning methods of the API; each fixes the format its data must have. */
export type FineTuneMethod = "supervised" | "dpo" | "reinforcement";

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
  /** Price per 1M training tokens overriding the model facts file. */
  pricePerMillionTokens?: number;
  /** Called now and then with bytes read so far (for progress bars and logs). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Skip the on-disk result cache (keyed by content hash and options). */
  noCache?: boolean;
}

export interface DatasetReport {
  file?: string;
  sha256: string;
  bytes: number;
  format: DatasetFormat | null;
  examples: number;
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
}
