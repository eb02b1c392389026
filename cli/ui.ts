/**
 * `openai-finetune ui [--port 0] [--host 127.0.0.1] [--connection NAME]`: a local, read-only web page
 * of every environment's jobs, models, live progress and loss curves. First stdout line: the URL.
 * It reads the same connections as the resources (see ./connection.ts).
 */
import type { Command } from "commander";
import { addConnectionOption, connectionClient } from "./connection";
import { numberOption, usageError } from "./program";

interface UiFlags {
  host: string;
  port: number;
  connection?: string;
  projectDir: string;
}

export function register(program: Command): void {
  const ui = program.command("ui");
  addConnectionOption(ui)
    .description("open a local read-only web page of jobs, models, live progress and loss curves")
    .option("--host <HOST>", "address to listen on", "127.0.0.1")
    .option(
      "--port <PORT>",
      "port, 0 for any free one",
      numberOption((n) => (Number.isInteger(n) && n >= 0 && n <= 65535 ? null : "must be an integer from 0 to 65535")),
      0,
    )
    .option("--project-dir <DIR>", "where .openai-finetune/evaluations/ is read", process.cwd())
    .addHelpText("after", "\nThe first line printed is the page's URL. Stop with Ctrl-C.")
    .action(async (flags: UiFlags, command: Command) => {
      await serve(flags, command);
    });
}

async function serve(flags: UiFlags, command: Command): Promise<void> {
  const chosen = connectionClient(flags.connection);
  if ("problem" in chosen) usageError(command, chosen.problem);
  const { client } = chosen;
  const { startUiServer } = await import("../ui/server");
  const ui = await startUiServer({ client, host: flags.host, port: flags.port, projectDir: flags.projectDir });
  process.stdout.write(`${ui.url}\n`);
  process.stdout.write(`openai-finetune ui: reading ${chosen.describe} (read-only); Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void ui.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
