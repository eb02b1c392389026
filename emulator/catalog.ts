/**
 * The base models the emulator serves: ids, creation times, and aliases resolved to snapshots. Shutdown
 * dates come from the package's model facts for the platform played, so the emulator never contradicts
 * provider/models.json; models outside the facts (gpt-5, embeddings) have none.
 */
import type { Model } from "openai/resources/models";
import { platformFacts } from "../provider/models";
import type { Flavor } from "./platform";

interface BaseModel {
  id: string;
  created: number;
  owned_by: string;
  /** For aliases: the snapshot a fine-tuning job trains. */
  snapshot?: string;
}

const BASE_MODELS: BaseModel[] = [
  { id: "gpt-4.1", created: 1744316542, owned_by: "system", snapshot: "gpt-4.1-2025-04-14" },
  { id: "gpt-4.1-2025-04-14", created: 1744315746, owned_by: "system" },
  { id: "gpt-4.1-mini", created: 1744318173, owned_by: "system", snapshot: "gpt-4.1-mini-2025-04-14" },
  { id: "gpt-4.1-mini-2025-04-14", created: 1744317547, owned_by: "system" },
  { id: "gpt-4.1-nano", created: 1744321707, owned_by: "system", snapshot: "gpt-4.1-nano-2025-04-14" },
  { id: "gpt-4.1-nano-2025-04-14", created: 1744321025, owned_by: "system" },
  { id: "gpt-4o", created: 1715367049, owned_by: "system", snapshot: "gpt-4o-2024-08-06" },
  { id: "gpt-4o-2024-08-06", created: 1722814719, owned_by: "system" },
  { id: "gpt-4o-mini", created: 1721172741, owned_by: "system", snapshot: "gpt-4o-mini-2024-07-18" },
  { id: "gpt-4o-mini-2024-07-18", created: 1721172717, owned_by: "system" },
  { id: "gpt-3.5-turbo", created: 1677610602, owned_by: "openai", snapshot: "gpt-3.5-turbo-0125" },
  { id: "gpt-3.5-turbo-0125", created: 1706048358, owned_by: "system" },
  { id: "gpt-3.5-turbo-1106", created: 1698959748, owned_by: "system" },
  { id: "babbage-002", created: 1692634615, owned_by: "system" },
  { id: "davinci-002", created: 1692634301, owned_by: "system" },
  { id: "o4-mini", created: 1744225351, owned_by: "system", snapshot: "o4-mini-2025-04-16" },
  { id: "o4-mini-2025-04-16", created: 1744133506, owned_by: "system" },
  { id: "gpt-5", created: 1754425777, owned_by: "system" },
  { id: "text-embedding-3-small", created: 1705948997, owned_by: "system" },
];

const byId = new Map(BASE_MODELS.map((m) => [m.id, m]));

export function baseModels(flavor: Flavor = "openai"): Model[] {
  return BASE_MODELS.map((m) => baseModelObject(m.id, flavor)!);
}

export function baseModelObject(id: string, flavor: Flavor = "openai"): Model | undefined {
  const m = byId.get(id);
  if (!m) return undefined;
  return { id: m.id, object: "model", created: m.created, owned_by: m.owned_by, shutdown_date: shutdownDateOf(id, flavor) };
}

export function isBaseModel(id: string): boolean {
  return byId.has(id);
}

/** The snapshot an alias trains (the id itself for snapshots). */
export function snapshotOf(id: string): string {
  return byId.get(id)?.snapshot ?? id;
}

/** When the base's fine-tunes stop serving on the platform played (Azure: deployment retirement). */
export function shutdownDateOf(id: string, flavor: Flavor = "openai"): string | null {
  if (!byId.has(id)) return null;
  return platformFacts(snapshotOf(id), flavor)?.shutdownDate ?? null;
}
