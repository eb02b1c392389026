/** A TrainingFile, declared once: every input and output, its validation, its description, what a change does. */
import { z } from "zod";
import { FILE_PURPOSES, FILES_API_LIMIT_BYTES } from "../api-contract";
import { costCapSchema } from "../cost-cap";
import { declareResource, field, output } from "../schema";

export { FILE_PURPOSES, FILES_API_LIMIT_BYTES };

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");

export const trainingFileSchema = z.object({
  path: field(z.string().min(1, "must not be empty").optional(), {
    onChange: "ignore",
    description: "Local JSONL dataset; a relative path is relative to the Pulumi project directory (where Pulumi.yaml is). Give this or `content`. Moving the same bytes elsewhere changes nothing.",
  }),
  content: field(z.string().optional(), {
    onChange: "ignore",
    secret: true,
    description: "The dataset inline as a string, instead of `path` (small datasets, tests). Kept encrypted in state.",
  }),
  contentHash: field(sha256Hex.optional(), {
    onChange: "replace",
    role: "internal",
    output: { description: "sha256 (hex) of the dataset's exact bytes, computed when the program runs: new bytes, new file, and the models trained on it retrain.", type: "string" },
    description: "sha256 of the exact bytes, computed by the resource class when the program runs, so a preview already knows.",
  }),
  connection: field(z.string().min(1, "must name a connection").optional(), {
    onChange: "replace",
    description: "The name of a connection in the stack config `openai-finetune:connections` (never a key); default: the `openai:*` config and the environment.",
  }),
  purpose: field(z.enum(FILE_PURPOSES).default("fine-tune"), {
    onChange: "replace",
    output: true,
    argType: "pulumi.Input<FilePurpose>",
    description: "The Files API purpose. Only fine-tune datasets are validated.",
  }),
  filename: field(z.string().min(1).max(200).regex(/^[^/\\]+$/, "must be a file name, not a path").optional(), {
    onChange: "ignore",
    output: { description: "The file's name in the API: the given name with the content hash added.", type: "string" },
    description: "The name shown in the API (the content hash is added to it). Defaults to the file's own name.",
  }),
  importFileId: field(z.string().min(1).optional(), {
    // Only create() reads it: once adopted, the resource is that file whatever this says.
    onChange: "ignore",
    description:
      "Manage this existing file (`file-…`) instead of uploading: the first `up` checks that it holds exactly the dataset's bytes and adopts it. Use this rather than Pulumi's `import` option, which dynamic providers cannot serve.",
  }),
  owner: field(z.string().min(1), {
    onChange: "ignore",
    role: "internal",
    description: "project/stack/resource, set by the resource class: scopes adoption of an already uploaded file.",
  }),
  uploadPartThresholdBytes: field(z.number().int().positive().max(FILES_API_LIMIT_BYTES).default(FILES_API_LIMIT_BYTES), {
    onChange: "update",
    description: "Files larger than this many bytes go through the Uploads API in 64 MB parts.",
  }),
  costCaps: field(z.array(costCapSchema).optional(), {
    // What the models declared on this file may spend: checked before the upload, never compared.
    onChange: "ignore",
    role: "internal",
    description: "Set by each FineTunedModel class declared on this file: its cost cap, checked by check() before anything is uploaded.",
  }),
  validate: field(z.boolean().default(true), {
    onChange: "update",
    description: "Validate the dataset at preview (in `check()`), before anything is uploaded. Only for purpose fine-tune.",
  }),
});

export const trainingFileOutputs = z.object({
  fileId: output(z.string(), { description: "The OpenAI file id (also the resource id)." }),
  bytes: output(z.number(), { description: "The file's size in bytes, as the API reports it." }),
  status: output(z.string(), { description: "The file's status in the API (`processed` once usable)." }),
  createdAt: output(z.number(), { description: "When the file was uploaded, in Unix seconds." }),
  readOnly: output(z.boolean().optional(), { description: "Set when `importFileId` named a file another resource uploaded: this resource's destroy keeps it." }),
});

export const trainingFileDeclaration = declareResource({
  type: "TrainingFile",
  kind: "training-file",
  description: "A local JSONL dataset, uploaded to the Files API once per content hash.",
  version: 2,
  inputs: trainingFileSchema,
  outputs: trainingFileOutputs,
  // v0.1.0's state already holds every field of version 2; only the version is new.
  upgrades: { 1: (state) => state },
  onReplace: "A change uploads a new file (and retrains the models trained on it).",
  typeImports: { "./types": ["FilePurpose"] },
});

export type TrainingFileInputs = z.infer<typeof trainingFileSchema>;

/** What create and read store: the echoed inputs and what the API reports. */
export type TrainingFileOutputs = TrainingFileInputs & z.infer<typeof trainingFileOutputs> & { filename: string };
