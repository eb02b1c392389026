/**
 * The base models the emulator serves: ids, creation times and shutdown dates (the emulator's
 * own data, so retirement warnings can be exercised), plus aliases resolved to snapshots.
 */
import type { Model } from "openai/resources/models";

interface BaseModel {
  id: string;
  created: number;
  owned_by: string;
  shutdown_date: string | null;
  /** For aliases: the snapshot a fine-tuning job trains. */
  snapshot?: string;
}

const BASE_MODELS: BaseModel[] = [
  { id: "gpt-4.1", created: 1744316542, owned_by: "system", shutdown_date: null, snapshot: "gpt-4.1-2025-04-14" },
  { id: "gpt-4.1-2025-04-14", created: 1744315746, owned_by: "system", shutdown_date: null },
  { id: "gpt-4.1-mini", created: 1744318173, owned_by: "system", shutdown_date: null, snapshot: "gpt-4.1-mini-2025-04-14" },
  { id: "gpt-4.1-mini-2025-04-14", created: 1744317547, owned_by: "system", shutdown_date: null },
  { id: "gpt-4.1-nano", created: 1744321707, owned_by: "system", shutdown_date: null, snapshot: "gpt-4.1-nano-2025-04-14" },
  { id: "gpt-4.1-nano-2025-04-14", created: 1744321025, owned_by: "system", shutdown_date: null },
  { id: "gpt-4o", created: 1715367049, owned_by: "system", shutdown_date: null, snapshot: "gpt-4o-2024-08-06" },
  { id: "gpt-4o-2024-08-06", created: 1722814719, owned_by: "system", shutdown_date: "2027-06-30" },
  { id: "gpt-4o-mini", created: 1721172741, owned_by: "system", shutdown_date: null, snapshot: "gpt-4o-mini-2024-07-18" },
  { id: "gpt-4o-mini-2024-07-18", created: 1721172717, owned_by: "system", shutdown_date: "2027-06-30" },
  { id: "gpt-3.5-turbo", created: 1677610602, owned_by: "openai", shutdown_date: "2027-01-20", snapshot: "gpt-3.5-turbo-0125" },
  { id: "gpt-3.5-turbo-0125", created: 1706048358, owned_by: "system", shutdown_date: "2027-01-20" },
  { id: "gpt-3.5-turbo-1106", created: 1698959748, owned_by: "system", shutdown_date: "2026-12-31" },
  { id: "babbage-002", created: 1692634615, owned_by: "system", shutdown_date: "2027-03-31" },
  { id: "davinci-002", created: 1692634301, owned_by: "system", shutdown_date: "2027-03-31" },
  { id: "o4-mini", created: 1744225351, owned_by: "system", shutdown_date: null, snapshot: "o4-mini-2025-04-16" },
  { id: "o4-mini-2025-04-16", created: 1744133506, owned_by: "system", shutdown_date: null },
  { id: "gpt-5", created: 1754425777, owned_by: "system", shutdown_date: null },
  { id: "text-embedding-3-small", created: 1705948997, owned_by: "system", shutdown_date: null },
];

const byId = new Map(BASE_MODELS.map((m) => [m.id, m]));

export function baseModels(): Model[] {
  return BASE_MODELS.map((m) => baseModelObject(m.id)!);
}

export function baseModelObject(id: string): Model | undefined {
  const m = byId.get(id);
  if (!m) return undefined;
  return { id: m.id, object: "model", created: m.created, owned_by: m.owned_by, shutdown_date: m.shutdown_date };
}

export function isBaseModel(id: string): boolean {
  return byId.has(id);
}

/** The snapshot an alias trains (the id itself for snapshots). */
export function snapshotOf(id: string): string {
  return byId.get(id)?.snapshot ?? id;
}

export function shutdownDateOf(id: string): string | null {
  const m = byId.get(id);
  if (!m) return null;
  return m.shutdown_date ?? (m.snapshot ? (byId.get(m.snapshot)?.shutdown_date ?? null) : null);
}
