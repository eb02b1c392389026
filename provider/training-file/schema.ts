/** Every input of a TrainingFile, declared once: its validation, its description, what a change does. */
import { z } from "zod";
import { FILE_PURPOSES, FILES_API_LIMIT_BYTES } from "../api-contract";
import { costCapSchema } from "../cost-cap";
import { field } from "../schema";

export { FILE_PURPOSES, FILES_API_LIMIT_BYTES };

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");

export const trainingFileSchema = z.object({
  path: field(z.string().min(1, "must not be empty").optional(), {
    onChange: "ignore",
    description: "Local JSONL dataset, relative to the Pulumi project directory. Moving the same bytes elsewhere changes nothing.",
  }),
  content: field(z.string().optional(), {
    onChange: "ignore",
    description: "The dataset inline, instead of `path` (small datasets and tests).",
  }),
  contentHash: field(sha256Hex.optional(), {
    onChange: "replace",
    description: "sha256 of the exact bytes, computed when the program runs: new bytes upload a new file.",
  }),
  purpose: field(z.enum(FILE_PURPOSES).default("fine-tune"), {
    onChange: "replace",
    description: "The Files API purpose.",
  }),
  filename: field(z.string().min(1).max(200).regex(/^[^/\\]+$/, "must be a file name, not a path").optional(), {
    onChange: "ignore",
    description: "Name shown in the API (the content hash is added to it); defaults to the file's own name.",
  }),
  importFileId: field(z.string().min(1).optional(), {
    // Only create() reads it: once adopted, the resource is that file whatever this says.
    onChange: "ignore",
    description: "Manage this existing file instead of uploading; create() checks that it holds exactly these bytes.",
  }),
  owner: field(z.string().min(1), {
    onChange: "ignore",
    description: "project/stack/resource, set by the resource class: scopes adoption of an already uploaded file.",
  }),
  uploadPartThresholdBytes: field(z.number().int().positive().max(FILES_API_LIMIT_BYTES).default(FILES_API_LIMIT_BYTES), {
    onChange: "update",
    description: "Files larger than this go through the Uploads API in 64 MB parts.",
  }),
  costCaps: field(z.array(costCapSchema).optional(), {
    // What the models declared on this file may spend: checked before the upload, never compared.
    onChange: "ignore",
    description: "Set by each FineTunedModel class declared on this file: its cost cap, checked by check() before anything is uploaded.",
  }),
  validate: field(z.boolean().default(true), {
    onChange: "update",
    description: "Check the dataset in `check()` (preview) before anything is uploaded. Only for purpose fine-tune.",
  }),
});

export type TrainingFileInputs = z.infer<typeof trainingFileSchema>;

/** What create and read add to the echoed inputs. */
export interface TrainingFileOutputs extends TrainingFileInputs {
  fileId: string;
  bytes: number;
  /** The name in the API: the given name with the content hash added. */
  filename: string;
  status: string;
  createdAt: number;
  examples?: number;
  format?: string | null;
}
