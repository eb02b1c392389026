/**
 * Every resource's errors are shown once: the dynamic-provider host logs what check, diff, read and
 * delete throw (`${err}: ${err.stack}`) besides returning it, and each provider drops that extra line.
 * The host's logging is reproduced by calling console.error exactly as it does.
 */
type Provider = { read: (id: string, props: Record<string, unknown>) => Promise<unknown> };

const written: unknown[][] = [];

beforeAll(() => {
  // Captures what reaches the console after each provider's filter has been installed over it.
  console.error = (...args: unknown[]) => void written.push(args);
});

const providers: [string, string][] = [
  ["ModelDeployment", "../../provider/model-deployment/provider"],
  ["ModelEvaluation", "../../provider/model-evaluation/provider"],
  ["FineTunedModel", "../../provider/fine-tuned-model/provider"],
  ["TrainingFile", "../../provider/training-file/provider"],
];

describe.each(providers)("%s", (_name, path) => {
  it("drops the host's second report of an error its read threw, and nothing else", async () => {
    written.length = 0;
    const { provider } = require(path) as { provider: Provider };
    // State from a newer package is refused by every provider before any request.
    const err = await provider.read("some-id", { __schemaVersion: 999 }).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toContain("written by a newer pulumi-openai-finetune");
    console.error(`${err}: ${(err as Error).stack}`);
    console.error("a line of its own");
    expect(written).toEqual([["a line of its own"]]);
  });
});
