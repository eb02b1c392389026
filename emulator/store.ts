/**
 * All emulator state: files (content as blobs on disk), uploads, fine-tuning jobs with their
 * simulated clocks, fine-tuned models and the audit log. Without a data dir the records live in
 * memory and the blobs in a temporary directory; with one, everything is saved to
 * `<dir>/state.json` (atomically, debounced) and `<dir>/blobs/`, and loaded again on start.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rename, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileObject } from "openai/resources/files";
import type { Upload } from "openai/resources/uploads/uploads";
import type { FineTuningJob, FineTuningJobEvent } from "openai/resources/fine-tuning/jobs/jobs";
import type { FineTuningJobCheckpoint } from "openai/resources/fine-tuning/jobs/checkpoints";
import type { Model } from "openai/resources/models";

export type LogAction =
  | "file.created"
  | "file.deleted"
  | "job.created"
  | "job.succeeded"
  | "job.failed"
  | "job.cancelled"
  | "model.created"
  | "model.deleted"
  | "deployment.created"
  | "deployment.updated"
  | "deployment.deleted"
  | "deployment.expired";

export interface LogEntry {
  at: number;
  action: LogAction;
  id: string;
}

export interface FileRecord {
  seq: number;
  obj: FileObject;
  /** Blob names (in the blob dir) whose concatenation is the content. */
  segments: string[];
}

export interface PartRecord {
  id: string;
  created_at: number;
  blob: string;
  bytes: number;
}

export interface UploadRecord {
  seq: number;
  obj: Upload;
  parts: PartRecord[];
  /** `expires_after.seconds` for the file the upload becomes. */
  expiresAfter?: number;
}

export interface JobError {
  code: string;
  message: string;
  param: string | null;
}

/** What validation of the training data found (null while it is running). */
export type Validation =
  | { ok: true; examples: number; tokens: number; billedTokens: number; epochs: number }
  | { ok: false; error: JobError };

/** The simulated schedule, fixed once the files are validated. Times are simulated ms from creation. */
export interface Plan {
  validateMs: number;
  queueMs: number;
  warmupMs: number;
  stepMs: number;
  steps: number;
  stepsPerEpoch: number;
  epochs: number;
  /** Step after which an injected failure hits (0: none). */
  failAtStep: number;
  trainedTokens: number;
}

export type JobStatus = FineTuningJob["status"] | "paused";
export type JobObject = Omit<FineTuningJob, "status"> & { status: JobStatus };

export interface JobRecord {
  seq: number;
  obj: JobObject;
  /** Root base model snapshot (for model names and the catalog). */
  base: string;
  /** The fine-tuned model's name, fixed at creation (checkpoints are named after it). */
  ftName: string;
  method: "supervised" | "dpo" | "reinforcement";
  /** Simulated progress: `simMs` at wall time `wallAt`; advancing when `running`. */
  clock: { simMs: number; wallAt: number; running: boolean };
  stage: "validating" | "queued" | "running" | "done";
  validation: Validation | null;
  plan: Plan | null;
  injectFailure: boolean;
  lastStep: number;
  events: FineTuningJobEvent[];
  checkpoints: FineTuningJobCheckpoint[];
  /** Blob with the training examples (prompt/reply pairs) the fine-tuned model answers from. */
  examplesBlob: string | null;
}

/** An Azure Resource Manager deployment (`--flavor azure`); times are wall-clock ms. */
export interface DeploymentRecord {
  seq: number;
  /** The ARM resource id (lower-cased: ARM ids are case-insensitive). */
  key: string;
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  account: string;
  name: string;
  sku: { name: string; capacity: number };
  model: { format: string; name: string; version: string; source?: string };
  createdAt: number;
  /** When the current create or update finishes provisioning. */
  readyAt: number;
  updating: boolean;
  lastCallAt: number;
  /** Developer tier: the fixed end of its life. */
  expiresAt: number | null;
}

export interface ModelRecord {
  seq: number;
  obj: Model;
  jobId: string;
  base: string;
}

const TEMP_PREFIX = "openai-finetune-emulator-";

/** Temporary blob dirs left by in-memory emulators that were killed (their pid is gone). */
function removeStaleTempDirs(): void {
  try {
    for (const name of readdirSync(tmpdir())) {
      const m = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name);
      if (!m) continue;
      try {
        process.kill(Number(m[1]), 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ESRCH") rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
    }
  } catch {
    /* best effort */
  }
}

/** Saves are batched: at most one write of state.json per this interval. */
const SAVE_DEBOUNCE_MS = 100;

interface Persisted {
  version: 1;
  seq: number;
  files: FileRecord[];
  deletedFiles: [string, number][];
  uploads: UploadRecord[];
  jobs: JobRecord[];
  models: ModelRecord[];
  deployments?: DeploymentRecord[];
  log: LogEntry[];
}

export class Store {
  readonly blobDir: string;
  private readonly statePath: string | null;
  private readonly tempRoot: string | null;
  seq = 0;
  files = new Map<string, FileRecord>();
  deletedFiles = new Map<string, number>();
  uploads = new Map<string, UploadRecord>();
  jobs = new Map<string, JobRecord>();
  models = new Map<string, ModelRecord>();
  deployments = new Map<string, DeploymentRecord>();
  log: LogEntry[] = [];
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> | null = null;
  private dirtyWhileSaving = false;
  private closed = false;

  constructor(readonly dataDir: string | null) {
    if (dataDir) {
      this.blobDir = join(dataDir, "blobs");
      mkdirSync(this.blobDir, { recursive: true });
      this.statePath = join(dataDir, "state.json");
      this.tempRoot = null;
      this.load();
    } else {
      removeStaleTempDirs();
      this.tempRoot = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
      this.blobDir = this.tempRoot;
      this.statePath = null;
    }
  }

  nextSeq(): number {
    return ++this.seq;
  }

  blobPath(name: string): string {
    return join(this.blobDir, name);
  }

  addLog(action: LogAction, id: string, at = Date.now()): void {
    this.log.push({ at, action, id });
    this.markDirty();
  }

  removeBlobs(names: string[]): void {
    for (const name of names) unlink(this.blobPath(name)).catch(() => {});
  }

  /** Schedule a save of the records (no-op in memory mode). */
  markDirty(): void {
    if (!this.statePath || this.closed) return;
    if (this.saving) {
      this.dirtyWhileSaving = true;
      return;
    }
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saving = this.saveAsync().finally(() => {
        this.saving = null;
        if (this.dirtyWhileSaving) {
          this.dirtyWhileSaving = false;
          this.markDirty();
        }
      });
    }, SAVE_DEBOUNCE_MS);
  }

  private serialize(): string {
    const data: Persisted = {
      version: 1,
      seq: this.seq,
      files: [...this.files.values()],
      deletedFiles: [...this.deletedFiles.entries()],
      uploads: [...this.uploads.values()],
      jobs: [...this.jobs.values()],
      models: [...this.models.values()],
      deployments: [...this.deployments.values()],
      log: this.log,
    };
    return JSON.stringify(data);
  }

  private async saveAsync(): Promise<void> {
    const tmp = `${this.statePath}.tmp`;
    try {
      await writeFile(tmp, this.serialize());
      await rename(tmp, this.statePath!);
    } catch (err) {
      process.stderr.write(`emulator: could not save state: ${(err as Error).message}\n`);
    }
  }

  /** Save now, synchronously (on shutdown). */
  flush(): void {
    if (!this.statePath) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    const tmp = `${this.statePath}.flush.tmp`;
    writeFileSync(tmp, this.serialize());
    renameSync(tmp, this.statePath);
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.statePath!, "utf8");
    } catch {
      return;
    }
    const data = JSON.parse(text) as Persisted;
    this.seq = data.seq;
    for (const f of data.files) this.files.set(f.obj.id, f);
    for (const [id, seq] of data.deletedFiles) this.deletedFiles.set(id, seq);
    for (const u of data.uploads) this.uploads.set(u.obj.id, u);
    for (const j of data.jobs) this.jobs.set(j.obj.id, j);
    for (const m of data.models) this.models.set(m.obj.id, m);
    for (const d of data.deployments ?? []) this.deployments.set(d.key, d);
    this.log = data.log;
    // Multipart bodies that were being received when the previous process stopped.
    for (const name of readdirSync(this.blobDir)) {
      if (name.startsWith(".part-")) rmSync(join(this.blobDir, name), { force: true });
    }
  }

  /** Forget everything and delete all blobs. */
  clear(): void {
    for (const name of readdirSync(this.blobDir)) rmSync(join(this.blobDir, name), { force: true, recursive: true });
    this.seq = 0;
    this.files.clear();
    this.deletedFiles.clear();
    this.uploads.clear();
    this.jobs.clear();
    this.models.clear();
    this.deployments.clear();
    this.log = [];
    this.markDirty();
  }

  async close(): Promise<void> {
    if (this.saving) await this.saving;
    this.flush();
    this.closed = true;
    if (this.tempRoot) rmSync(this.tempRoot, { recursive: true, force: true });
  }
}
