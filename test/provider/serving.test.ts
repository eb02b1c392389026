/**
 * Serving markers through the real SDK against the emulator, on OpenAI's routes and Azure's: recorded
 * once however often a create is retried, listed back, removed, and readable from the file's content
 * when the name is too long to carry the marker.
 */
import { AzureOpenAI } from "openai";
import { listServing, markerFileName, markerPurpose, parseMarkerFileName, recordServing, removeServing, servingStacks, type ServingMarker } from "../../provider/serving";
import { withEmulator } from "../helpers/provider-env";

const emulator = withEmulator();

const marker = (model: string, stack = "prod", resource = "serving"): ServingMarker => ({ model, servedBy: { project: "envs", stack, resource } });

describe("serving markers", () => {
  it("are recorded once, listed, filtered by stack and removed", async () => {
    const client = emulator().client();
    const m = marker("ft:gpt-4o-mini-2024-07-18:org:x:abc");
    const first = await recordServing(client, m);
    expect(await recordServing(client, m)).toBe(first);
    await recordServing(client, marker(m.model, "canary"));
    expect(await listServing(client)).toHaveLength(2);
    expect(await servingStacks(client, m.model, { project: "envs", stack: "canary" })).toEqual([m.servedBy]);
    const file = await client.files.retrieve(first);
    expect(file.purpose).toBe("user_data");
    expect(parseMarkerFileName(file.filename)).toEqual(m);
    await removeServing(client, m);
    expect((await listServing(client)).map((s) => s.servedBy.stack)).toEqual(["canary"]);
    // Files that only look alike are not markers.
    await client.files.create({ file: new File(["{}"], "pulumi-serving.not-base64!.json"), purpose: "user_data" });
    expect(await listServing(client)).toHaveLength(1);
  });

  it("carry a marker too long for a file name in the file's content", async () => {
    const client = emulator().client();
    const long = marker(`ft:gpt-4o-mini-2024-07-18:org:${"s".repeat(60)}:abc`, "prod", "r".repeat(120));
    expect(markerFileName(long)).toMatch(/^pulumi-serving\.sha256-[0-9a-f]{64}\.json$/);
    await recordServing(client, long);
    expect(await listServing(client)).toEqual([long]);
    await removeServing(client, long);
    expect(await listServing(client)).toEqual([]);
  });

  it("use a purpose Azure OpenAI accepts on an Azure client", async () => {
    // OPENAI_BASE_URL is set for the provider modules, so the Azure client takes its base URL explicitly.
    const azure = new AzureOpenAI({ baseURL: `${emulator().url}/openai`, apiKey: emulator().apiKey, apiVersion: "2024-10-21" });
    expect(markerPurpose(azure)).toBe("assistants");
    expect(markerPurpose(emulator().client())).toBe("user_data");
    const m = marker("gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef");
    const id = await recordServing(azure, m);
    expect((await azure.files.retrieve(id)).purpose).toBe("assistants");
    expect(await listServing(azure)).toEqual([m]);
  });
});
