/**
 * Local text similarity for the `similar` grader: ROUGE-L F1 over lower-cased word tokens (the longest
 * common subsequence of words), 0..1. No model call, deterministic, and insensitive to punctuation.
 */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export function similarity(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.length === 0 && y.length === 0) return 1;
  if (x.length === 0 || y.length === 0) return 0;
  const lcs = lcsLength(x, y);
  const precision = lcs / x.length;
  const recall = lcs / y.length;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/** O(n·m) time, O(m) memory. */
function lcsLength(x: string[], y: string[]): number {
  let prev = new Array<number>(y.length + 1).fill(0);
  let cur = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) cur[j] = x[i - 1] === y[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    [prev, cur] = [cur, prev];
  }
  return prev[y.length]!;
}

/** Token-overlap F1 (bag of words): the emulator's deterministic llm-rubric score. */
export function tokenOverlap(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.length === 0 || y.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const w of y) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of x) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      common++;
      counts.set(w, n - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / x.length;
  const recall = common / y.length;
  return (2 * precision * recall) / (precision + recall);
}
