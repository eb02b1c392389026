/**
 * Dataset preflight: streaming validation, token counts and cost estimates for fine-tuning
 * datasets (JSONL). Used by the resources' check(), the emulator's job validation and
 * `openai-finetune validate`.
 */
export { analyzeDataset, type DatasetSource } from "./analyze";
export { scanDataset, WORKER_THRESHOLD_BYTES, SCAN_ENCODINGS, type DatasetScan, type ScanOptions } from "./scan";
export { reportFor, dataFindings, modelFindings, capTokens, type Findings } from "./summary";
export { workerScriptPath } from "./workers";
export { sha256File, sha256Content, contentHasher, hashStream, type ContentDigest, type ContentHasher } from "./hash";
export { autoEpochs, resolveEpochs, estimateCostUsd } from "./epochs";
export {
  countExampleTokens,
  countMessageTokens,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_NAME,
  TOKENS_PER_EXAMPLE,
  type TokenCounter,
} from "./lines";
export { tokenCounter, countTextTokens } from "./tokens";
export { formatReport, formatIssue, formatIssues, formatBytes } from "./report";
export { defaultCacheDir } from "./cache";
export { ERROR_CODES, WARNING_CODES, MAX_ISSUES, MIN_EXAMPLES, type ErrorCode, type WarningCode } from "./codes";
export * from "./types";
