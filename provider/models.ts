/**
 * Model facts as data (models.json): per fine-tunable base model, the methods it supports, the
 * per-example token limit, the tokenizer encoding and the training price, each with its source
 * and the date it was read. Lookups accept snapshot ids and aliases. An unknown model (an
 * OpenAI-compatible endpoint, an `ft:` base, a snapshot not listed) is never refused: it gets a
 * warning, a best-guess encoding and no cost estimate.
 */
import { readFileSync } from "node:fs";
import modelsData from "./models.json";
import type { DatasetFormat, FineTuneMethod, TokenEncoding } from "./dataset/types";

export interface ModelFacts {
  id: string;
  aliases: string[];
  methods: FineTuneMethod[];
  /** Dataset formats the model trains on (chat / dpo / reinforcement / prompt_completion). */
  formats: DatasetFormat[];
  /** Listed as accepting images in training data. */
  vision: boolean;
  /** Per-example training token limit; null when unknown. */
  tokenLimit: number | null;
  encoding: TokenEncoding;
  /** USD per 1M training tokens; null when not billed by token or unknown. */
  pricePerMillionTrainingTokens: number | null;
  /** USD per training hour, for methods billed by time (RFT). */
  pricePerTrainingHourUsd?: number | null;
  source: string;
  /** ISO date the facts were read from `source`. */
  readOn: string;
}

export interface ModelLookup {
  /** The model id as asked for (undefined when none was given). */
  requested: string | undefined;
  /** Facts when the model (or one of its aliases) is listed; null otherwise. */
  facts: ModelFacts | null;
  /** For `ft:` ids, the base model named inside the id. */
  fineTunedFrom?: string;
  encoding: TokenEncoding;
  tokenLimit: number | null;
  /** USD per 1M training tokens used for estimates; null when unknown (no estimate). */
  pricePerMillionTokens: number | null;
  priceSource: "facts" | "override" | null;
  /** Why the lookup is uncertain: unknown model, ft: base, missing price. */
  warnings: { code: string; message: string }[];
}

const MODELS: ModelFacts[] = (modelsData as { models: ModelFacts[] }).models;
const BY_NAME = new Map<string, ModelFacts>();
for (const m of MODELS) {
  BY_NAME.set(m.id.toLowerCase(), m);
  for (const a of m.aliases) BY_NAME.set(a.toLowerCase(), m);
}

/** All listed base models. */
export function listModels(): ModelFacts[] {
  return MODELS.map((m) => ({ ...m, aliases: [...m.aliases], methods: [...m.methods], formats: [...m.formats] }));
}

/** Facts for a model id or alias (case-insensitive), or undefined. Does not resolve `ft:` ids. */
export function findModel(model: string): ModelFacts | undefined {
  return BY_NAME.get(model.trim().toLowerCase());
}

/** The encoding a model family uses, from its name; o200k_base when nothing matches. */
export function guessEncoding(model: string | undefined): TokenEncoding {
  const m = (model ?? "").toLowerCase();
  if (/^(gpt-3\.5|gpt-35|babbage|davinci|gpt-4-|gpt-4$|text-embedding)/.test(m)) return "cl100k_base";
  return "o200k_base";
}

/**
 * Parses `ft:<base>:<org>:<suffix>:<id>` (also `...:ckpt-step-N`); returns the base, or undefined
 * when `model` is not an ft: id.
 */
export function parseFineTunedId(model: string): string | undefined {
  if (!model.startsWith("ft:")) return undefined;
  const base = model.split(":")[1];
  return base || undefined;
}

let envOverridesCache: { raw: string | undefined; value: Record<string, number> } | undefined;

/**
 * Price overrides from `OPENAI_FINETUNE_PRICES`: either inline JSON (`{"gpt-4o-mini": 3}`) or the
 * path of a JSON file holding such an object. Invalid content throws (a silent wrong price is worse).
 */
export function loadPriceOverrides(env: NodeJS.ProcessEnv = process.env): Record<string, number> {
  const raw = env.OPENAI_FINETUNE_PRICES;
  if (envOverridesCache && envOverridesCache.raw === raw) return envOverridesCache.value;
  let value: Record<string, number> = {};
  if (raw && raw.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.trim().startsWith("{") ? raw : readFileSync(raw.trim(), "utf8"));
    } catch (err) {
      throw new RangeError(`OPENAI_FINETUNE_PRICES: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new RangeError("OPENAI_FINETUNE_PRICES must be a JSON object of model -> USD per 1M training tokens");
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new RangeError(`OPENAI_FINETUNE_PRICES: price for ${k} must be a non-negative number`);
      }
      value[k.toLowerCase()] = v;
    }
  }
  envOverridesCache = { raw, value };
  return value;
}

function findOverride(overrides: Record<string, number> | undefined, names: string[]): number | undefined {
  if (!overrides) return undefined;
  const lower: Record<string, number> = {};
  for (const [k, v] of Object.entries(overrides)) lower[k.toLowerCase()] = v;
  for (const n of names) {
    const v = lower[n.toLowerCase()];
    if (v !== undefined) return v;
  }
  return undefined;
}

export interface LookupOptions {
  /** One price for this lookup, whatever the model. */
  pricePerMillionTokens?: number;
  /** Prices by model id or alias; these win over the environment's overrides. */
  priceOverrides?: Record<string, number>;
  /** Environment for `OPENAI_FINETUNE_PRICES` (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Resolves what the dataset analysis needs to know about a model. Never throws for an unknown
 * model; throws only for a malformed `OPENAI_FINETUNE_PRICES` or a negative price.
 */
export function lookupModel(model: string | undefined, opts: LookupOptions = {}): ModelLookup {
  if (opts.pricePerMillionTokens !== undefined) {
    const p = opts.pricePerMillionTokens;
    if (typeof p !== "number" || !Number.isFinite(p) || p < 0) {
      throw new RangeError("pricePerMillionTokens must be a non-negative number");
    }
  }
  const requested = model?.trim() || undefined;
  const warnings: ModelLookup["warnings"] = [];
  let facts: ModelFacts | null = null;
  let fineTunedFrom: string | undefined;
  let encoding: TokenEncoding;
  let tokenLimit: number | null = null;

  if (!requested) {
    encoding = "o200k_base";
    warnings.push({
      code: "no_model",
      message: "no model given: tokens counted with o200k_base, no token limit applied, cost not estimated",
    });
  } else if ((fineTunedFrom = parseFineTunedId(requested)) !== undefined) {
    const base = findModel(fineTunedFrom);
    encoding = base?.encoding ?? guessEncoding(fineTunedFrom);
    tokenLimit = base?.tokenLimit ?? null;
    warnings.push({
      code: "unknown_model",
      message:
        `${requested} is a fine-tuned model: tokens counted with ${encoding}` +
        (base ? ` and the ${base.id} limit` : "") +
        ", cost not estimated (give a price to get one)",
    });
  } else {
    facts = findModel(requested) ?? null;
    if (facts) {
      encoding = facts.encoding;
      tokenLimit = facts.tokenLimit;
    } else {
      encoding = guessEncoding(requested);
      warnings.push({
        code: "unknown_model",
        message: `${requested} is not in the model facts file: tokens counted with ${encoding}, no token limit applied, cost not estimated`,
      });
    }
  }

  const names = [requested, facts?.id, ...(facts?.aliases ?? [])].filter((n): n is string => !!n);
  let price: number | null = null;
  let priceSource: ModelLookup["priceSource"] = null;
  const explicit = opts.pricePerMillionTokens;
  const override =
    explicit ?? findOverride(opts.priceOverrides, names) ?? findOverride(loadPriceOverrides(opts.env), names);
  if (override !== undefined) {
    if (!Number.isFinite(override) || override < 0) throw new RangeError(`price override for ${requested} is invalid`);
    price = override;
    priceSource = "override";
  } else if (facts && facts.pricePerMillionTrainingTokens !== null) {
    price = facts.pricePerMillionTrainingTokens;
    priceSource = "facts";
  } else if (facts) {
    warnings.push({
      code: "no_price",
      message: facts.pricePerTrainingHourUsd
        ? `${facts.id} is billed per training hour ($${facts.pricePerTrainingHourUsd}/h), not per token: cost not estimated`
        : `no training price known for ${facts.id}: cost not estimated`,
    });
  }
  return { requested, facts, fineTunedFrom, encoding, tokenLimit, pricePerMillionTokens: price, priceSource, warnings };
}
