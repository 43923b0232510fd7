import { describe, expect, it } from 'vitest';
import { callCostUsd, probeCostPerDay } from './pricing.js';

const GPT_4O = { inputPerMillion: 2.5, outputPerMillion: 10 };

describe('callCostUsd', () => {
  it.each([
    [
      'when a call reads 1M and writes nothing, then it costs the input price',
      { inputTokens: 1e6, outputTokens: 0 },
      2.5,
    ],
    ['when a call writes 1M, then it costs the output price', { inputTokens: 0, outputTokens: 1e6 }, 10],
    ['when a probe reads 12 and writes 1 token, then both prices add', { inputTokens: 12, outputTokens: 1 }, 0.00004],
    ['when nothing is used, then nothing is spent', { inputTokens: 0, outputTokens: 0 }, 0],
  ])('%s', (_name, usage, expected) => {
    expect(callCostUsd(GPT_4O, usage)).toBeCloseTo(expected, 12);
  });
});

describe('probeCostPerDay', () => {
  it.each([
    ['when no probe has reported usage yet, then both parts are null', GPT_4O, null, 10_000, null, null],
    [
      'when the model has no price, then only the tokens are known',
      null,
      { inputTokens: 12, outputTokens: 1 },
      10_000,
      13,
      null,
    ],
    [
      'when probed every 10 s, then 8640 probes a day',
      GPT_4O,
      { inputTokens: 12, outputTokens: 1 },
      10_000,
      13,
      0.00004 * 8640,
    ],
    [
      'when probed every 30 s, then a third of that',
      GPT_4O,
      { inputTokens: 12, outputTokens: 1 },
      30_000,
      13,
      0.00004 * 2880,
    ],
  ])('%s', (_name, pricing, usage, intervalMs, tokens, usdPerDay) => {
    const estimate = probeCostPerDay(pricing, usage, intervalMs);
    expect(estimate.tokensPerProbe).toBe(tokens);
    if (usdPerDay === null) expect(estimate.estimatedUsdPerDay).toBeNull();
    else expect(estimate.estimatedUsdPerDay).toBeCloseTo(usdPerDay, 9);
  });
});
