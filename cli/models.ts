/**
 * `openai-finetune models [--json] [--project P] [--stack S]`: every fine-tuned model of the account,
 * across all environments, from the API (no Pulumi state): its job, lineage, owning stack and the
 * stacks that serve it. `openai-finetune models delete ID` deletes a model no stack serves.
 * Connection: the default one or `--connection NAME`, as the resources choose theirs (./connection.ts).
 */
import type { Command } from "commander";
import type OpenAI from "openai";
import { addConnectionOption, connectionClient } from "./connection";
import { usageError } from "./program";
import type { InventoryEntry } from "../provider/inventory";
import type { StackResource } from "../provider/serving";

interface ModelsFlags {
  json?: boolean;
  connection?: string;
  project?: string;
  stack?: string;
}

export function register(program: Command): void {
  const models = addConnectionOption(program.command("models"))
    .description("list every fine-tuned model: job, lineage, owning stack, serving stacks")
    .option("--json", "print one JSON array")
    .option("--project <P>", "only models owned or served by this Pulumi project")
    .option("--stack <S>", "only models owned or served by this stack")
    .action(async (flags: ModelsFlags, command: Command) => {
      await listModels(flags, command);
    });
  models
    .command("delete")
    .description("delete a fine-tuned model that no stack serves (e.g. one kept for a stack since destroyed)")
    .argument("<ID>", "the fine-tuned model id")
    .action(async (id: string, _flags: unknown, command: Command) => {
      process.exitCode = await deleteModel(id, command);
    });
}

/** The connection is an option of `models`, so `models delete` reads it from its parent. */
function client(command: Command): OpenAI {
  const flags = command.optsWithGlobals() as ModelsFlags;
  const chosen = connectionClient(flags.connection);
  if ("problem" in chosen) usageError(command, chosen.problem);
  return chosen.client;
}

async function listModels(flags: ModelsFlags, command: Command): Promise<void> {
  const { inventory, filterInventory } = await import("../provider/inventory");
  const entries = filterInventory(await inventory(client(command)), flags);
  process.stdout.write(flags.json ? `${JSON.stringify(entries, null, 2)}\n` : formatTable(entries));
}

async function deleteModel(id: string, command: Command): Promise<number> {
  const { servingStacks, describeStack } = await import("../provider/serving");
  const { describeApiError } = await import("../provider/errors");
  const api = client(command);
  const serving = await servingStacks(api, id);
  if (serving.length > 0) {
    process.stderr.write(`openai-finetune: not deleting ${id}: it is served by ${serving.map(describeStack).join(", ")}; remove that ModelDeployment first\n`);
    return 1;
  }
  try {
    await api.models.delete(id);
  } catch (err) {
    process.stderr.write(`openai-finetune: ${describeApiError(`deleting ${id}`, err)}\n`);
    return 1;
  }
  process.stdout.write(`deleted ${id}\n`);
  return 0;
}

const stackName = (s: StackResource | null) => (s ? `${s.project}/${s.stack}` : "-");

export function formatTable(entries: InventoryEntry[]): string {
  if (entries.length === 0) return "no fine-tuned models\n";
  const rows = entries.map((e) => [
    e.id,
    e.baseModel ?? "-",
    e.status ?? "-",
    e.managed ? stackName(e.owner) : "unmanaged",
    e.servedBy.length > 0 ? e.servedBy.map(stackName).join(", ") : "-",
    e.datasetHash ? e.datasetHash.slice(0, 12) : "-",
    e.finishedAt?.slice(0, 16).replace("T", " ") ?? "-",
    e.baseModelShutdownDate ?? "-",
  ]);
  const header = ["MODEL", "BASE", "STATUS", "OWNER", "SERVED BY", "DATASET", "FINISHED (UTC)", "BASE SHUTDOWN"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}
