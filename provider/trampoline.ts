/**
 * The provider object Pulumi serializes into state. It captures nothing but a resource kind: each method
 * requires the installed package when called and delegates, so an upgrade of the package applies to
 * existing resources, old state keeps loading, and no client, key or environment value is ever captured.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";

/**
 * Every resource kind a serialized provider may name. Each one's entry
 * (`pulumi-openai-finetune/dist/provider/<kind>/provider.js`) is in package.json `exports` and stays
 * there: stacks keep requiring it for as long as they hold such a resource.
 */
export const RESOURCE_KINDS = ["training-file", "fine-tuned-model", "model-deployment", "model-evaluation"] as const;

export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export function trampoline(kind: ResourceKind): dynamic.ResourceProvider {
  // Kept self-contained on purpose: this function's text is what runs from state.
  function implementation(): Required<dynamic.ResourceProvider> {
    // With the file extension: an `exports` map resolves exact paths only.
    const entry = "pulumi-openai-finetune/dist/provider/" + kind + "/provider.js";
    try {
      return require(entry).provider;
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
      // The quickstart inside this package's own repository: the package is the project (or a parent of it).
      const path = require("path");
      const fs = require("fs");
      for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
        const own = path.join(dir, "package.json");
        if (fs.existsSync(own) && JSON.parse(fs.readFileSync(own, "utf8")).name === "pulumi-openai-finetune") {
          return require(path.join(dir, "dist", "provider", kind, "provider.js")).provider;
        }
        if (path.dirname(dir) === dir) throw err;
      }
    }
  }
  return {
    configure: (req) => implementation().configure(req),
    check: (olds, news) => implementation().check(olds, news),
    diff: (id, olds, news) => implementation().diff(id, olds, news),
    create: (inputs) => implementation().create(inputs),
    read: (id, props) => implementation().read(id, props),
    update: (id, olds, news) => implementation().update(id, olds, news),
    delete: (id, props) => implementation().delete(id, props),
  };
}
