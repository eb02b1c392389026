/**
 * `openai-finetune ui [--port 0] [--host 127.0.0.1] [--connection NAME]`: a local, read-only web page
 * of every environment's jobs, models, live progress and loss curves. First stdout line: the URL.
 * It reads the same connection settings as the resources (stack config is not available here, so
 * the SDK's environment variables: OPENAI_API_KEY, OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT, ...).
 */
import type { Command } from "commander";
import { numberOption, usageError } from "./program";

interface UiFlags {
  host: string;
  port: number;
  connection?: string;
  projectDir: string;
}

export function register(program: Command): void {
  program
    .command("ui")
    .description("open a local read-only web page of jobs, models, live progress and loss curves")
    .option("--host <HOST>", "address to listen on", "127.0.0.1")
    .option(
      "--port <PORT>",
      "port, 0 for any free one",
      numberOption((n) => (Number.isInteger(n) && n >= 0 && n <= 65535 ? null : "must be an integer from 0 to 65535")),
      0,
    )
    .option("--connection <NAME>", "a named connection (as the resources' `connection` input)")
    .option("--project-dir <DIR>", "where .openai-finetune/evaluations/ is read", process.cwd())
    .addHelpText("after", "\nThe first line printed is the page's URL. Stop with Ctrl-C.")
    .action(async (flags: UiFlags, command: Command) => {
      await serve(flags, command);
    });
}

async function serve(flags: UiFlags, command: Command): Promise<void> {
  const { createClient, missingCredentials, resolveSettings } = await import("../provider/client");
  const connections = (await import("../provider/client")) as Record<string, unknown>;
  if (flags.connection !== undefined && typeof connections.clientForConnection !== "function") {
    usageError(command, `--connection ${flags.connection}: this build has no named connections; use the OPENAI_*/AZURE_OPENAI_* environment variables`);
  }
  const settings = resolveSettings();
  const missing = missingCredentials(settings);
  if (missing) usageError(command, missing);
  const client =
    flags.connection !== undefined
      ? (connections.clientForConnection as (name: string) => import("openai").default)(flags.connection)
      : createClient(settings);
  const { startUiServer } = await import("../ui/server");
  const ui = await startUiServer({ client, host: flags.host, port: flags.port, projectDir: flags.projectDir });
  process.stdout.write(`${ui.url}\n`);
  process.stdout.write(`openai-finetune ui: reading ${settings.azureEndpoint ?? settings.baseURL ?? "https://api.openai.com/v1"} (read-only); Ctrl-C to stop\n`);
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
