/**
 * What every resource class does with its declaration when it registers (called by the generated base
 * classes): each declared output registered, secret inputs wrapped as secrets, secret outputs kept
 * secret. The declaration's `secret` marks are the only place a field is made secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { classOutputs, secretInputs, secretOutputs, type ResourceDeclaration } from "./schema";

/** The engine only reports an output whose key the resource registered: `undefined` for each, under the given props. */
export function resourceProps(declaration: ResourceDeclaration, props: Record<string, unknown>): Record<string, unknown> {
  const placeholders = Object.fromEntries(classOutputs(declaration).map(([key]) => [key, undefined]));
  const secrets = Object.fromEntries(secretInputs(declaration).filter((key) => props[key] !== undefined).map((key) => [key, pulumi.secret(props[key])]));
  return { ...placeholders, ...props, ...secrets };
}

export function resourceOptions(declaration: ResourceDeclaration, opts: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
  const secret = secretOutputs(declaration);
  if (secret.length === 0) return opts;
  return { ...opts, additionalSecretOutputs: [...new Set([...(opts.additionalSecretOutputs ?? []), ...secret])] };
}
