/**
 * `openai-finetune validate FILE [--model M] [--method supervised|dpo|reinforcement] [--json]`
 *
 * Checks a JSONL training dataset the way `pulumi preview` does: every line against the
 * format's rules, tokens by the model's encoding, epochs, billed tokens and estimated cost.
 * Exit codes: 0 valid, 1 invalid, 2 bad usage (or a file that cannot be read).
 */
import { statSync } from "node:fs";
import type { AnalyzeOptions, DatasetReport, FineTuneMethod } from "../provider/dataset/types";

export const USAGE = `usage: openai-finetune validate FILE [options]

Checks a JSONL fine-tuning dataset: format, every line, tokens, epochs and estimated cost.

options:
  --model M        base model (tokenizer, per-example token limit, price), e.g. gpt-4o-mini-2024-07-18
  --method X       supervised | dpo | reinforcement (fixes the expected format)
  --epochs N       n_epochs (default: OpenAI's auto rule)
  --price P        USD per 1M training tokens, overriding the model facts
  --json           print one JSON object instead of the report
  --no-cache       do not read or write the result cache
  --max-issues N   errors and warnings listed in the text report (default 20)
  -h, --help       this help

exit status: 0 valid, 1 invalid, 2 bad usage
`;

const METHODS: FineTuneMethod[] = ["supervised", "dpo", "reinforcement"];

interface Args {
  file: string;
  json: boolean;
  maxIssues: number;
  options: AnalyzeOptions;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | "help" {
  const options: AnalyzeOptions = {};
  let file: string | undefined;
  let json = false;
  let maxIssues = 20;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    if (eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith("--"))) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const number = (name: string, v: string): number => {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${name} must be a number, got ${JSON.stringify(v)}`);
      return n;
    };
    switch (arg) {
      case "-h":
      case "--help":
        return "help";
      case "--json":
        json = true;
        break;
      case "--no-cache":
        options.noCache = true;
        break;
      case "--model":
        options.model = value();
        break;
      case "--method": {
        const m = value();
        if (!METHODS.includes(m as FineTuneMethod)) throw new UsageError(`--method must be one of ${METHODS.join(", ")}, got ${JSON.stringify(m)}`);
        options.method = m as FineTuneMethod;
        break;
      }
      case "--epochs":
      case "--n-epochs": {
        const v = value();
        if (v === "auto") options.nEpochs = "auto";
        else {
          const n = number(arg, v);
          if (!Number.isInteger(n) || n < 1 || n > 50) throw new UsageError(`${arg} must be "auto" or an integer from 1 to 50`);
          options.nEpochs = n;
        }
        break;
      }
      case "--price": {
        const n = number(arg, value());
        if (n < 0) throw new UsageError("--price must not be negative");
        options.pricePerMillionTokens = n;
        break;
      }
      case "--max-issues": {
        const n = number(arg, value());
        if (!Number.isInteger(n) || n < 0) throw new UsageError("--max-issues must be a non-negative integer");
        maxIssues = n;
        break;
      }
      default:
        if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option: ${arg}`);
        if (file !== undefined) throw new UsageError(`one FILE only (got ${JSON.stringify(file)} and ${JSON.stringify(arg)})`);
        file = arg;
    }
  }
  if (file === undefined) throw new UsageError("FILE is required");
  return { file, json, maxIssues, options };
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

export async function main(argv: string[]): Promise<number> {
  let args: Args | "help";
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`openai-finetune validate: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  let size: number;
  try {
    const st = statSync(args.file);
    if (!st.isFile()) throw new Error("not a regular file");
    size = st.size;
  } catch (err) {
    process.stderr.write(`openai-finetune validate: cannot read ${args.file}: ${(err as Error).message}\n`);
    return 2;
  }

  const { analyzeDataset, formatReport } = await import("../provider/dataset");
  const bar = process.stderr.isTTY && size >= PROGRESS_MIN_BYTES ? progressBar(process.stderr) : null;
  let report: DatasetReport;
  try {
    report = await analyzeDataset({ path: args.file }, { ...args.options, onProgress: bar?.update });
  } catch (err) {
    bar?.done();
    if (err instanceof RangeError || err instanceof TypeError) {
      process.stderr.write(`openai-finetune validate: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    bar?.done();
  }
  if (args.json) process.stdout.write(JSON.stringify(jsonReport(report, args.file)) + "\n");
  else process.stdout.write(formatReport(report, { maxIssues: args.maxIssues }));
  return report.errorCount === 0 ? 0 : 1;
}
