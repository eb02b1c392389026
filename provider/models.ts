/**
 * Model facts as data (models.json): per fine-tunable base model, the methods it supports, the
 * per-example token limit, the tokenizer encoding and the training price, and per platform (OpenAI,
 * Azure OpenAI) whether it can still be trained there, until when, and when its fine-tunes stop
 * serving, each with its source and the date it was read. Lookups accept snapshot ids and aliases;
 * a fine-tuned model (`ft:…` on OpenAI, `<base>.ft-<hex>` on Azure) is traced to its root base. An
 * unknown model (an OpenAI-compatible endpoint, a snapshot not listed) is never refused: it gets a
 * warning, a best-guess encoding and no cost estimate.
 */
import { readFileSync } from "node:fs";
import modelsData from "./models.json";
import type { DatasetFormat, FineTuneMethod, TokenEncoding } from "./dataset/types";

/** Where a model is trained: OpenAI's API (or a compatible endpoint) or Azure OpenAI. */
export type Platform = "openai" | "azure";
export const PLATFORMS: Platform[] = ["openai", "azure"];

/** What one platform does with a base model. Dates are ISO days. */
export interface PlatformFacts {
  /** Whether new training on this base is still offered there (as of `readOn`). */
  fineTunable: boolean;
  /** Methods on this platform, when they differ from the model's `methods`. */
  methods?: FineTuneMethod[];
  /** The day from which no new training on this base starts there; null when none is announced. */
  trainingCutoff: string | null;
  /** The day its fine-tuned models stop serving there (Azure: deployment retirement); null when unknown. */
  shutdownDate: string | null;
  source: string;
  readOn: string;
}

/** A platform-wide training cutoff (OpenAI's end of self-serve fine-tuning). */
export interface PlatformCutoff {
  trainingCutoff: string | null;
  source: string;
  readOn: string;
}

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
  platforms: Partial<Record<Platform, PlatformFacts>>;
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

const DATA = modelsData as unknown as { models: ModelFacts[]; platforms: Record<Platform, PlatformCutoff> };
const MODELS: ModelFacts[] = DATA.models;
const BY_NAME = new Map<string, ModelFacts>();
for (const m of MODELS) {
  BY_NAME.set(m.id.toLowerCase(), m);
  for (const a of m.aliases) BY_NAME.set(a.toLowerCase(), m);
}

/** All listed base models. */
export function listModels(): ModelFacts[] {
  return MODELS.map((m) => ({ ...m, aliases: [...m.aliases], methods: [...m.methods], formats: [...m.formats], platforms: { ...m.platforms } }));
}

/** The platform-wide facts (OpenAI's cutoff for all new jobs). */
export function platformCutoff(platform: Platform): PlatformCutoff {
  return { ...DATA.platforms[platform] };
}

/** What `platform` does with this base (root-traced), or undefined when the base is not listed. */
export function platformFacts(model: string, platform: Platform): PlatformFacts | undefined {
  const facts = findModel(rootBaseOf(model));
  const p = facts?.platforms[platform];
  return p && { ...p, methods: [...(p.methods ?? facts!.methods)] };
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
 * The base named inside a fine-tuned model id, or undefined when `model` is not one: OpenAI's
 * `ft:<base>:<org>:<suffix>:<id>` (also `…:ckpt-step-N`) and Azure's `<base>.ft-<32 hex>` (a
 * fine-tune of a fine-tune adds another `.ft-<hex>`; suffixes never hold dots there). The base in
 * both is already the root: training on top of a fine-tune names the root again.
 */
export function parseFineTunedId(model: string): string | undefined {
  if (model.startsWith("ft:")) return model.split(":")[1] || undefined;
  const azure = /^(.+?)\.ft-[0-9a-f]{32}(?:\b|$)/i.exec(model);
  return azure?.[1];
}

/** The root base model of `model`: itself unless it is a fine-tuned model id. */
export function rootBaseOf(model: string): string {
  return parseFineTunedId(model.trim()) ?? model.trim();
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
    // Training on top of a fine-tune is priced, tokenized and limited as its root base.
    facts = findModel(fineTunedFrom) ?? null;
    encoding = facts?.encoding ?? guessEncoding(fineTunedFrom);
    tokenLimit = facts?.tokenLimit ?? null;
    if (!facts) {
      warnings.push({
        code: "unknown_model",
        message: `${requested} is a fine-tune of ${fineTunedFrom}, which is not in the model facts file: tokens counted with ${encoding}, no token limit applied, cost not estimated`,
      });
    }
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
