/**
 * The connection a command talks to, chosen as the resources choose theirs: no `--connection` means the
 * default connection (OPENAI_* / AZURE_OPENAI_* variables); `--connection NAME` names one of the
 * connections a stack declares under `openai-finetune:connections`. A command runs outside the Pulumi
 * engine, so it reads that object from OPENAI_FINETUNE_CONNECTIONS (the same JSON, e.g.
 * `export OPENAI_FINETUNE_CONNECTIONS="$(pulumi config get openai-finetune:connections)"`); keys come
 * from the per-connection variables (OPENAI_FINETUNE_<NAME>_API_KEY) as for the provider.
 */
import type { Command } from "commander";
import type OpenAI from "openai";

export const CONNECTIONS_ENV = "OPENAI_FINETUNE_CONNECTIONS";

export function addConnectionOption(command: Command): Command {
  return command.option("--connection <NAME>", `a named connection (as the resources' \`connection\` input), read from ${CONNECTIONS_ENV}`);
}

/** The client of the named (or default) connection, or a message saying what is missing. */
export function connectionClient(name: string | undefined, env: NodeJS.ProcessEnv = process.env): { client: OpenAI; describe: string } | { problem: string } {
  const connections = require("../provider/connections") as typeof import("../provider/connections");
  try {
    if (name !== undefined) connections.configureConnections({ get: (key) => (key === connections.CONNECTIONS_KEY ? env[CONNECTIONS_ENV] : undefined) });
    const connection = connections.resolveConnection(name, env);
    const problem = connections.connectionProblem(connection);
    if (problem) return { problem };
    const where = connection.kind === "azure" ? connection.azureEndpoint : (connection.baseUrl ?? "https://api.openai.com/v1");
    return { client: connections.clientOf(connection), describe: `${name ?? "the default connection"} (${where})` };
  } catch (err) {
    const message = (err as Error).message;
    return { problem: name !== undefined && env[CONNECTIONS_ENV] === undefined ? `${message}; export ${CONNECTIONS_ENV} with the stack's connections object` : message };
  }
}
