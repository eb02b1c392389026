/** The `connection` input at preview: an unknown name or an incomplete connection fails before any request. */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { connectionProblem, resolveConnection, type Connection } from "./connections";

export function checkConnectionInput(name: string | undefined, unknown: boolean): { value?: Connection; failure?: dynamic.CheckFailure } {
  if (unknown) return {};
  let connection: Connection;
  try {
    connection = resolveConnection(name);
  } catch (err) {
    return { failure: { property: "connection", reason: (err as Error).message } };
  }
  const problem = connectionProblem(connection);
  // The default connection's missing key keeps its historical property name, which the docs point at.
  if (problem) return { failure: { property: name === undefined && connection.kind === "openai" ? "openai:apiKey" : "connection", reason: problem } };
  return { value: connection };
}
