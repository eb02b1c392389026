/**
 * What the OpenAI fine-tuning API accepts, in one place, typed from the `openai` SDK's own types:
 * the names (file purposes, methods, job-create parameters, hyperparameters) are checked against
 * the SDK at compile time in both directions (nothing missing, nothing invented), so an SDK
 * upgrade that adds or renames one fails the build here instead of drifting. The SDK carries no
 * numeric limits; those below are the API's documented ones, stated once for the provider's
 * input checks and the emulator alike. Platform-neutral: what differs on Azure belongs to the
 * emulator's platform module, not here.
 */
import type { FileObject, FilePurpose } from "openai/resources/files";
import type { JobCreateParams } from "openai/resources/fine-tuning/jobs/jobs";
import type {
  DpoHyperparameters,
  ReinforcementHyperparameters,
  SupervisedHyperparameters,
} from "openai/resources/fine-tuning/methods";

/**
 * `every<U>()([...])`: the list as a readonly tuple, compiling only when it holds members of U
 * and nothing but them, each of them (a missing one is named in the error as `missing`).
 */
type Complete<Union, Listed extends readonly Union[]> = [Exclude<Union, Listed[number]>] extends [never]
  ? unknown
  : { missing: Exclude<Union, Listed[number]> };
const every =
  <Union>() =>
  <const Listed extends readonly Union[]>(listed: Listed & Complete<Union, Listed>): Listed =>
    listed;

/** Purposes the Files API (and the Uploads API) accepts on upload. */
export const FILE_PURPOSES = every<FilePurpose>()(["fine-tune", "assistants", "batch", "vision", "user_data", "evals"]);

/** Purposes a stored file can have: the upload purposes plus those of files the API writes itself. */
export const STORED_FILE_PURPOSES = [
  ...FILE_PURPOSES,
  ...every<Exclude<FileObject["purpose"], FilePurpose>>()(["assistants_output", "batch_output", "fine-tune-results"]),
];

/** Fine-tuning methods (`method.type`). */
export type MethodType = JobCreateParams.Method["type"];
export const METHOD_TYPES = every<MethodType>()(["supervised", "dpo", "reinforcement"]);

/** The body keys `POST /fine_tuning/jobs` accepts. */
export const JOB_CREATE_PARAMS = every<keyof JobCreateParams>()([
  "model",
  "training_file",
  "validation_file",
  "hyperparameters",
  "method",
  "integrations",
  "metadata",
  "seed",
  "suffix",
]);

export type HyperparameterRule =
  | { kind: "int"; min: number; max: number }
  /** A number above `above`, at most `max`. */
  | { kind: "float"; above: number; max: number }
  | { kind: "choice"; values: readonly string[] };

const int = (min: number, max: number) => ({ kind: "int", min, max }) as const;
const float = (above: number, max: number) => ({ kind: "float", above, max }) as const;

const BATCH_SIZE = int(1, 256);
const N_EPOCHS = int(1, 50);
const LEARNING_RATE_MULTIPLIER = float(0, 10);

type Rules<H> = { readonly [K in keyof H]-?: HyperparameterRule };
type RulesByMethod = {
  supervised: Rules<SupervisedHyperparameters>;
  dpo: Rules<DpoHyperparameters>;
  reinforcement: Rules<ReinforcementHyperparameters>;
};

/**
 * Every hyperparameter of every method (each also accepts "auto", except the choices), with the
 * range the API accepts. Keyed by the SDK's hyperparameter types: a key missing or extra fails to compile.
 */
export const HYPERPARAMETERS = {
  supervised: { batch_size: BATCH_SIZE, learning_rate_multiplier: LEARNING_RATE_MULTIPLIER, n_epochs: N_EPOCHS },
  dpo: { batch_size: BATCH_SIZE, learning_rate_multiplier: LEARNING_RATE_MULTIPLIER, n_epochs: N_EPOCHS, beta: float(0, 2) },
  reinforcement: {
    batch_size: BATCH_SIZE,
    learning_rate_multiplier: LEARNING_RATE_MULTIPLIER,
    n_epochs: N_EPOCHS,
    compute_multiplier: float(0, 10),
    eval_interval: int(1, 1000),
    eval_samples: int(1, 1000),
    reasoning_effort: {
      kind: "choice",
      values: every<NonNullable<ReinforcementHyperparameters["reasoning_effort"]>>()(["default", "low", "medium", "high"]),
    },
  },
} as const satisfies { [M in MethodType]: RulesByMethod[M] };

/** `metadata` on a job (the SDK's `Shared.Metadata` documents these). */
export const METADATA_LIMITS = { maxKeys: 16, maxKeyChars: 64, maxValueChars: 512 } as const;

/** `suffix` of a job: at most this many characters, no `:` or whitespace. */
export const MAX_SUFFIX_CHARS = 64;

/** `seed` of a job: an integer in this range. */
export const SEED_RANGE = { min: 0, max: 2147483647 } as const;

/** The Files API's upload limit; larger files go through the Uploads API in parts. */
export const FILES_API_LIMIT_BYTES = 512 * 1024 * 1024;
/** The Uploads API: one part at most this large, and the whole upload at most `MAX_UPLOAD_BYTES`. */
export const MAX_UPLOAD_PART_BYTES = 64 * 1024 * 1024;
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024 * 1024;
/** An upload not completed within this long expires. */
export const UPLOAD_TTL_SECONDS = 3600;

/** Azure's rule for Resource Manager deployment names: 2-64 letters, digits, `_`, `.`, `-`; starts with a letter or digit, does not end in `_` or `.`. */
export const AZURE_DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9-]$/;

/** The SKUs Azure offers for fine-tuned models, as this package's input names them, with Resource Manager's names (Developer is `developertier`). */
export const AZURE_FINE_TUNED_SKUS = { Standard: "Standard", GlobalStandard: "GlobalStandard", ProvisionedManaged: "ProvisionedManaged", Developer: "developertier" } as const;
