/** `TrainingFile`: a local JSONL dataset, uploaded to the Files API once per content hash. */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { sha256Content, sha256File } from "../dataset";
import { trampoline } from "../trampoline";
import { CostCapGate } from "./cost-cap-gate";
import { TrainingFileResource, type TrainingFileArgs } from "./generated";

export type { FilePurpose } from "./types";

export type { TrainingFileArgs } from "./generated";

const provider = trampoline("training-file");

/** Its outputs are declared in ./schema.ts (generated into ./generated.ts). */
export class TrainingFile extends TrainingFileResource {
  /** Where the bytes come from, so a FineTunedModel can estimate its cost at preview. Not stored by this resource. */
  readonly source: { path?: pulumi.Input<string>; content?: pulumi.Input<string> };
  /** The cost caps of the FineTunedModels declared on this file, checked before it is uploaded. */
  readonly costCaps: CostCapGate;
  /** The connection given, passed on to the FineTunedModels trained on this file. */
  readonly connectionName: pulumi.Input<string> | undefined;

  constructor(name: string, args: TrainingFileArgs, opts?: pulumi.CustomResourceOptions) {
    const costCaps = new CostCapGate();
    const path = args.path === undefined ? undefined : pulumi.output(args.path).apply(projectPath);
    const contentHash = pulumi.all([path, args.content]).apply(([p, content]) => hashDataset(p, content));
    // Inline data is the user's data: declared secret (the base class wraps this resource's input); the
    // copy handed to FineTunedModels for their estimate is wrapped here, or it would reach their state in clear.
    const content = args.content === undefined ? undefined : pulumi.secret(args.content);
    super(
      provider,
      name,
      {
        path,
        content: args.content,
        purpose: args.purpose,
        connection: args.connection,
        filename: args.filename,
        uploadPartThresholdBytes: args.uploadPartThresholdBytes,
        validate: args.validate,
        importFileId: args.importFileId,
        costCaps: costCaps.caps,
        contentHash,
        owner: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      },
      opts,
    );
    this.source = { path, content };
    this.costCaps = costCaps;
    this.connectionName = args.connection;
  }
}

/**
 * Relative paths are the project's (where Pulumi.yaml is), whatever directory the program or the
 * provider process runs in; the provider gets the absolute path. `path` is never compared by diff,
 * so a checkout elsewhere (another machine, CI) changes nothing.
 */
function projectPath(path: string): string {
  if (isAbsolute(path)) return path;
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml")) || existsSync(join(dir, "Pulumi.yml"))) return resolve(dir, path);
    if (dirname(dir) === dir) return resolve(path);
  }
}

/**
 * Hashed in the program, not the provider, so a preview already knows whether the bytes changed.
 * An unreadable file gives no hash; `check()` then reports the path with the reason.
 */
async function hashDataset(path: string | undefined, content: string | undefined): Promise<string | undefined> {
  if (path !== undefined) return sha256File(path).then((h) => h.sha256, () => undefined);
  return content === undefined ? undefined : sha256Content(content).sha256;
}
