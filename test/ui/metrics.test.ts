import { bestCheckpoint, decodeResultFile, metricsFromEvents, overfittingHint, parseResultCsv, smooth, toCsv } from "../../ui/metrics";

describe("result file parsing", () => {
  it("reads OpenAI's header, leaving empty validation cells as gaps", () => {
    const csv = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,2.5,0.1,,\n2,2.0,0.2,2.2,0.15\n";
    const { rows, columns, ignored } = parseResultCsv(csv);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ step: 1, train_loss: 2.5, train_mean_token_accuracy: 0.1, valid_loss: null, valid_mean_token_accuracy: null });
    expect(rows[1]).toMatchObject({ step: 2, valid_loss: 2.2, valid_mean_token_accuracy: 0.15, full_valid_loss: null });
    expect(columns).toEqual(["train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy"]);
    expect(ignored).toEqual([]);
  });

  it("matches Azure's column names in another order, and reports headers it does not know", () => {
    const csv =
      "Step, Validation Loss,train_mean_token_accuracy,training_loss,validation_mean_token_accuracy,full_validation_loss,learning_rate\r\n" +
      "10,1.5,0.6,1.2,0.55,1.45,0.0001\r\n";
    const { rows, ignored } = parseResultCsv(csv);
    expect(rows).toEqual([
      {
        step: 10,
        train_loss: 1.2,
        train_mean_token_accuracy: 0.6,
        valid_loss: 1.5,
        valid_mean_token_accuracy: 0.55,
        full_valid_loss: 1.45,
        full_valid_mean_token_accuracy: null,
      },
    ]);
    expect(ignored).toEqual(["learning_rate"]);
  });

  it("turns NaN, null and unparsable cells into gaps and skips rows without a step", () => {
    const csv = "step,train_loss,valid_loss\n1,NaN,nan\n,1.0,1.0\n3,abc,0.5\n4,Infinity,null\n";
    const { rows } = parseResultCsv(csv);
    expect(rows.map((r) => [r.step, r.train_loss, r.valid_loss])).toEqual([
      [1, null, null],
      [3, null, 0.5],
      [4, null, null],
    ]);
  });

  it("decodes a base64-encoded file and leaves a plain one alone", () => {
    const csv = "step,train_loss\n1,0.9\n2,0.8\n";
    const encoded = Buffer.from(csv).toString("base64");
    expect(decodeResultFile(encoded)).toBe(csv);
    expect(decodeResultFile(csv)).toBe(csv);
    expect(parseResultCsv(encoded + "\n").rows.map((r) => r.train_loss)).toEqual([0.9, 0.8]);
  });

  it("refuses a file without a step column, naming the header", () => {
    expect(() => parseResultCsv("loss,acc\n1,2\n")).toThrow(/no step column \(header: loss,acc\)/);
  });

  it("round-trips through the CSV download", () => {
    const csv = "step,train_loss,valid_loss\n1,2,\n2,1.5,1.7\n";
    const again = parseResultCsv(toCsv(parseResultCsv(csv).rows));
    expect(again.rows).toEqual(parseResultCsv(csv).rows);
  });
});

describe("metrics events", () => {
  it("makes one row per step, ordered, from metrics events only", () => {
    const rows = metricsFromEvents([
      { type: "metrics", data: { step: 20, train_loss: 1.1, total_steps: 30, valid_loss: 1.3 } },
      { type: "message", data: {} },
      { type: "metrics", data: { step: 10, train_loss: 1.5, train_mean_token_accuracy: 0.4 } },
    ]);
    expect(rows.map((r) => [r.step, r.train_loss, r.valid_loss, r.train_mean_token_accuracy])).toEqual([
      [10, 1.5, null, 0.4],
      [20, 1.1, 1.3, null],
    ]);
  });
});

describe("smoothing", () => {
  it("weight 0 is the identity", () => {
    expect(smooth([3, 1, 2], 0)).toEqual([3, 1, 2]);
  });

  it("is a debiased moving average: a constant stays constant and the first point is itself", () => {
    expect(smooth([2, 2, 2, 2], 0.9).map((v) => Number(v!.toFixed(10)))).toEqual([2, 2, 2, 2]);
    const s = smooth([0, 10], 0.5) as number[];
    expect(s[0]).toBe(0);
    // The raw average after two points is 0.5*0.5*0 + 0.5*10 = 5, debiased by 1 - 0.5^2.
    expect(s[1]).toBeCloseTo(5 / 0.75, 10);
  });

  it("keeps gaps as gaps without resetting the average", () => {
    const s = smooth([1, null, 1, NaN], 0.6);
    expect(s[1]).toBeNull();
    expect(s[3]).toBeNull();
    expect(s[2]).toBeCloseTo(1, 10);
  });

  it("reduces noise", () => {
    const noisy = Array.from({ length: 200 }, (_, i) => 1 + (i % 2 === 0 ? 0.5 : -0.5));
    const s = smooth(noisy, 0.9) as number[];
    const spread = Math.max(...s.slice(100)) - Math.min(...s.slice(100));
    expect(spread).toBeLessThan(0.2);
  });
});

describe("best checkpoint and overfitting", () => {
  it("picks the lowest full validation loss, not the last checkpoint", () => {
    const ckpts = [
      { step_number: 10, metrics: { full_valid_loss: 0.9, valid_loss: 0.5 } },
      { step_number: 20, metrics: { full_valid_loss: 0.7, valid_loss: 0.9 } },
      { step_number: 30, metrics: { full_valid_loss: 0.8 } },
    ];
    expect(bestCheckpoint(ckpts)?.step_number).toBe(20);
    expect(bestCheckpoint([{ step_number: 1, metrics: {} }])).toBeNull();
  });

  it("hints when validation loss rises while training loss falls, and not on a healthy run", () => {
    const rows = (valid: (i: number) => number) =>
      Array.from({ length: 60 }, (_, i) => ({
        step: i + 1,
        train_loss: 2 - i * 0.03,
        train_mean_token_accuracy: null,
        valid_loss: valid(i),
        valid_mean_token_accuracy: null,
        full_valid_loss: null,
        full_valid_mean_token_accuracy: null,
      }));
    const overfit = overfittingHint(rows((i) => (i < 30 ? 2 - i * 0.03 : 1.1 + (i - 30) * 0.03)));
    expect(overfit).not.toBeNull();
    expect(overfit!.fromStep).toBeGreaterThan(25);
    expect(overfit!.fromStep).toBeLessThan(40);
    expect(overfit!.message).toMatch(/validation loss rose/);
    expect(overfittingHint(rows((i) => 2.1 - i * 0.02))).toBeNull();
  });
});
