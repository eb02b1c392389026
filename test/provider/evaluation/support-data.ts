/**
 * A support-desk domain for evaluation tests: training questions and, for the same topics, held-out
 * questions worded differently, with the answer the support team expects. One topic answers with a
 * tool call. A model trained on the training set should pass on the held-out set; a base model not.
 */
import { toFile } from "openai";
import type OpenAI from "openai";
import { waitForJob } from "../../helpers/wait";

const SYSTEM = { role: "system", content: "You are Acme Cloud's support assistant. Answer briefly and point to the right console page." };

export const TOPICS: { train: string; heldOut: string; answer: string }[] = [
  { train: "How do I reset my password?", heldOut: "I forgot my password, how can I reset it?", answer: "Open Console > Account > Security and choose Reset password; a link is emailed to you." },
  { train: "Where can I download my invoices?", heldOut: "Where do I find invoices to download for last month?", answer: "Invoices are under Console > Billing > Invoices; each has a PDF download." },
  { train: "How do I turn on usage alerts?", heldOut: "Can I get usage alerts by email?", answer: "Console > Billing > Limits > Alerts: add an email and a threshold." },
  { train: "How do I add a teammate to my project?", heldOut: "How can a teammate join the project?", answer: "Console > Project > Members > Invite: enter their email and pick a role." },
  { train: "How do I rotate an API token?", heldOut: "What is the way to rotate my API token safely?", answer: "Console > Security > Tokens: create a new token, deploy it, then revoke the old one." },
  { train: "How do I delete a storage bucket?", heldOut: "I want to delete an empty storage bucket.", answer: "Console > Storage > Buckets: select the bucket, empty it, then choose Delete." },
  { train: "How do I change my billing currency?", heldOut: "Is it possible to change the billing currency?", answer: "Contact support from Console > Help; the billing currency changes at the next invoice." },
  { train: "How do I enable two-factor authentication?", heldOut: "Where is two-factor authentication enabled?", answer: "Console > Account > Security > Two-factor: scan the QR code with your authenticator app." },
  { train: "How do I export my logs?", heldOut: "Can logs be exported somewhere?", answer: "Console > Observability > Logs > Export: choose a bucket and a schedule." },
  { train: "How do I close my account?", heldOut: "Please tell me how to close the account for good.", answer: "Console > Account > Close account; data is kept for 30 days, then deleted." },
];

export const TOOLS = [
  {
    type: "function",
    function: {
      name: "open_ticket",
      description: "Open a support ticket",
      parameters: { type: "object", properties: { priority: { type: "string" }, topic: { type: "string" } }, required: ["priority", "topic"] },
    },
  },
];

const toolCall = (args: object) => ({ id: "call_1", type: "function", function: { name: "open_ticket", arguments: JSON.stringify(args) } });

function line(question: string, answer: string): string {
  return JSON.stringify({ messages: [SYSTEM, { role: "user", content: question }, { role: "assistant", content: answer }] });
}

function toolLine(question: string, args: object): string {
  return JSON.stringify({ tools: TOOLS, messages: [SYSTEM, { role: "user", content: question }, { role: "assistant", tool_calls: [toolCall(args)] }] });
}

export const OUTAGE_ARGS = { priority: "high", topic: "outage" };

/** The training set: every topic, plus the tool-call topic. */
export function trainingJsonl(): string {
  return [...TOPICS.map((t) => line(t.train, t.answer)), toolLine("My production site is down, open an urgent outage ticket", OUTAGE_ARGS)].join("\n") + "\n";
}

/** The held-out questions with their expected answers (text topics only). */
export function heldOutJsonl(topics = TOPICS): string {
  return topics.map((t) => line(t.heldOut, t.answer)).join("\n") + "\n";
}

/** A held-out tool-call example: the reference answer is the call. */
export function heldOutToolJsonl(args: object = OUTAGE_ARGS): string {
  return toolLine("The production site is down! Please open an urgent outage ticket.", args) + "\n";
}

export const BASE_MODEL = "gpt-4.1-mini-2025-04-14";

/** Trains BASE_MODEL on the support training set in the emulator; returns the ft: model id. */
export async function trainSupportModel(client: OpenAI, data = trainingJsonl()): Promise<string> {
  const file = await client.files.create({ file: await toFile(Buffer.from(data), "support.jsonl"), purpose: "fine-tune" });
  const job = await client.fineTuning.jobs.create({ model: BASE_MODEL, training_file: file.id, suffix: "support" });
  const { job: done } = await waitForJob(client, job.id, ["succeeded", "failed"], 60_000);
  if (done.status !== "succeeded") throw new Error(`training failed: ${JSON.stringify(done.error)}`);
  return done.fine_tuned_model!;
}
