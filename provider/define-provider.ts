/**
 * Every resource's provider is made the same way: its methods, given the stack's config by
 * `configure`, seeing state of this package's version (upgraded in memory, stamped on write), and
 * each error shown once.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { configureProvider } from "./client";
import { reportedOnce } from "./report-once";
import { withStateVersions, type ResourceDeclaration } from "./schema";

export type ProviderMethods = Omit<Required<dynamic.ResourceProvider>, "configure">;

export function defineProvider(declaration: ResourceDeclaration, methods: ProviderMethods): Required<dynamic.ResourceProvider> {
  return reportedOnce(withStateVersions(declaration, { configure: configureProvider, ...methods }));
}
