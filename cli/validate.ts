/**
 * `openai-finetune validate FILE [--model M] [--method supervised|dpo|reinforcement] [--json]`
 *
 * Checks a JSONL training dataset the way `pulumi preview` does: every line against the
 * format's rules, tokens by the model's encoding, epochs, billed tokens and estimated cost.
 * Exit codes: 0 valid, 1 invalid, 2 bad usage (or a file that cannot be read).
 */
import { statSync } from "node:fs";
import { Option, type Command } from "commander";
import { METHOD_TYPES } from "../provider/api-contract";
import type { AnalyzeOptions, DatasetReport, FineTuneMethod } from "../provider/dataset/types";
import { formatBytes } from "../provider/dataset/report";
import { numberOption, usageError } from "./program";

interface ValidateFlags {
  model?: string;
  method?: FineTuneMethod;
  epochs?: number | "auto";
  nEpochs?: number | "auto";
  price?: number;
  json?: boolean;
  cache: boolean;
  maxIssues: number;
  allowUnknownModel?: boolean;
}

const epochs = (raw: string): number | "auto" =>
  raw === "auto"
    ? "auto"
    : numberOption((n) => (Number.isInteger(n) && n >= 1 && n <= 50 ? null : 'must be "auto" or an integer from 1 to 50'))(raw);

/** Adds `validate` to the program. */
export function register(program: Command): void {
  program
    .command("validate")
    .description("check a JSONL dataset, count its tokens and estimate its cost")
    .usage("FILE [options]")
    .argument("<FILE>", "the JSONL dataset")
    .option("--model <M>", "base model (tokenizer, per-example token limit, price), e.g. gpt-4o-mini-2024-07-18")
    .addOption(new Option("--method <X>", "fixes the expected format").choices(METHOD_TYPES))
    .option("--epochs <N>", "n_epochs (default: OpenAI's auto rule)", epochs)
    .addOption(new Option("--n-epochs <N>").argParser(epochs).hideHelp())
    .option("--price <P>", "USD per 1M training tokens, overriding the model facts", numberOption((n) => (n < 0 ? "must not be negative" : null)))
    .option("--allow-unknown-model", "accept a --model the model facts do not know (an OpenAI-compatible endpoint's): no price, no token limit")
    .option("--json", "print one JSON object instead of the report")
    .option("--no-cache", "do not read or write the result cache")
    .option(
      "--max-issues <N>",
      "errors and warnings listed in the text report",
      numberOption((n) => (Number.isInteger(n) && n >= 0 ? null : "must be a non-negative integer")),
      20,
    )
    .addHelpText("before", "Checks a JSONL fine-tuning dataset: format, every line, tokens, epochs and estimated cost.\n")
    .addHelpText("after", "\nexit status: 0 valid, 1 invalid (or a --model the model facts do not know, without --allow-unknown-model), 2 bad usage (or a file that cannot be read)")
    .action(async (file: string, flags: ValidateFlags, command: Command) => {
      process.exitCode = await validate(file, flags, command);
    });
}

function analyzeOptions(flags: ValidateFlags): AnalyzeOptions {
  const options: AnalyzeOptions = {};
  if (flags.model !== undefined) options.model = flags.model;
  if (flags.method !== undefined) options.method = flags.method;
  const nEpochs = flags.epochs ?? flags.nEpochs;
  if (nEpochs !== undefined) options.nEpochs = nEpochs;
  if (flags.price !== undefined) options.pricePerMillionTokens = flags.price;
  if (!flags.cache) options.noCache = true;
  return options;
}

/** The --json object: the documented keys first, then the extras. */
export function jsonReport(report: DatasetReport, file: string): Record<string, unknown> {
  return {
    file,
    sha256: report.sha256,
    bytes: report.bytes,
    format: report.format,
    examples: report.examples,
    tokens: report.tokens,
    billedTokens: report.billedTokens,
    epochs: report.epochs,
    estimatedCostUsd: report.estimatedCostUsd,
    errors: report.errors,
    warnings: report.warnings,
    errorCount: report.errorCount,
    warningCount: report.warningCount,
    valid: report.errorCount === 0,
    model: report.model ?? null,
    resolvedModel: report.resolvedModel ?? null,
    method: report.method ?? null,
    encoding: report.encoding,
    tokenLimit: report.tokenLimit ?? null,
    pricePerMillionTokens: report.pricePerMillionTokens ?? null,
    truncatedExamples: report.truncatedExamples ?? 0,
    cached: report.cached ?? false,
  };
}

/** Files at least this large get a progress bar (on a terminal). */
const PROGRESS_MIN_BYTES = 16 << 20;

function progressBar(stream: NodeJS.WriteStream): { update: (read: number, total: number) => void; done: () => void } {
  const started = Date.now();
  let last = 0;
  let shown = false;
  const mb = (n: number) => (n / 1048576).toFixed(1);
  return {
    update(read, total) {
      const now = Date.now();
      if (now - last < 100 && read < total) return;
      last = now;
      shown = true;
      const width = 30;
      const frac = total > 0 ? Math.min(1, read / total) : 1;
      const filled = Math.round(frac * width);
      const secs = Math.max(0.001, (now - started) / 1000);
      stream.write(
        `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ` +
          `${mb(read)}/${mb(total)} MB  ${mb(read / secs)} MB/s `,
      );
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
    },
  };
}

async function validate(file: string, flags: ValidateFlags, command: Command): Promise<number> {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error("not a regular file");
    size = st.size;
  } catch (err) {
    usageError(command, `cannot read ${file}: ${(err as Error).message}`);
  }

  const { analyzeDataset, formatReport } = await import("../provider/dataset");
  const bar = process.stderr.isTTY && size >= PROGRESS_MIN_BYTES ? progressBar(process.stderr) : !process.stdout.isTTY ? progressLines(process.stderr, file, size) : null;
  let report: DatasetReport;
  try {
    report = await analyzeDataset({ path: file }, { ...analyzeOptions(flags), onProgress: bar?.update });
  } catch (err) {
    bar?.done();
    // Bad settings found while analysing (an unknown encoding, a malformed OPENAI_FINETUNE_PRICES).
    if (err instanceof RangeError || err instanceof TypeError) usageError(command, err.message);
    throw err;
  } finally {
    bar?.done();
  }
  if (flags.json) process.stdout.write(JSON.stringify(jsonReport(report, file)) + "\n");
  else process.stdout.write(formatReport(report, { maxIssues: flags.maxIssues }));
  const refused = flags.model !== undefined && (await refuseUnknownModel(flags.model, flags.allowUnknownModel === true));
  return report.errorCount === 0 && !refused ? 0 : 1;
}

/**
 * A model the facts do not know has no price: often a typo. Said on stderr (so --json stays one
 * object), and a failure unless --allow-unknown-model says it is meant (a compatible endpoint's model).
 */
async function refuseUnknownModel(model: string, allowed: boolean): Promise<boolean> {
  const { findModel, lookupModel } = await import("../provider/models");
  const lookup = lookupModel(model);
  if (lookup.facts || (lookup.fineTunedFrom && findModel(lookup.fineTunedFrom))) return false;
  const { nearestModelIds } = await import("../provider/fine-tuned-model/verify");
  const near = nearestModelIds(model);
  const hint = near.length > 0 ? ` Did you mean ${near.join(" or ")}?` : "";
  const verdict = allowed ? "accepted (--allow-unknown-model)" : "pass --allow-unknown-model if it is meant (a model of an OpenAI-compatible endpoint)";
  process.stderr.write(`warning: ${model} is not in the model facts, so its training price is unknown and no cost is estimated.${hint} ${verdict}\n`);
  return !allowed;
}

/** Progress for logs (stdout not a terminal, e.g. CI): a line at the start, then every 2 s or 10% of the bytes. */
export function progressLines(stream: NodeJS.WritableStream, file: string, size: number, everyMs = 2_000): { update: (read: number, total: number) => void; done: () => void } {
  stream.write(`validating ${file} (${formatBytes(size)})\n`);
  let lastAt = Date.now();
  let nextTenth = 1;
  return {
    update(read, total) {
      const tenth = total > 0 ? Math.floor((read / total) * 10) : 10;
      const now = Date.now();
      if (tenth < nextTenth && now - lastAt < everyMs) return;
      if (read >= total && tenth >= 10 && nextTenth > 10) return;
      nextTenth = Math.max(nextTenth, tenth + 1);
      lastAt = now;
      stream.write(`validating ${file}: ${formatBytes(read)} of ${formatBytes(total)} (${Math.floor((read / Math.max(total, 1)) * 100)}%)\n`);
    },
    done() {},
  };
}
