export declare const ROOT: string;
export declare function ensurePulumi(options?: { quiet?: boolean }): string;
export declare function pulumiEnv(options: {
  binDir: string;
  stateDir: string;
  baseURL?: string;
  apiKey?: string;
  passphrase?: string;
  extra?: Record<string, string>;
}): NodeJS.ProcessEnv;
