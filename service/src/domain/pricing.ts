// What calls cost, from the configured price table: pure arithmetic shared by the probe-cost
// counter (telemetry) and the daily estimate in the health API.

/** USD per million tokens, as in the config file's `models[].pricing`. */
export interface Pricing {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

const TOKENS_PER_MILLION = 1e6;
const DAY_MS = 86_400_000;

/** The cost of one call in USD. */
export function callCostUsd(pricing: Pricing, usage: TokenUsage): number {
  return (
    (usage.inputTokens * pricing.inputPerMillion + usage.outputTokens * pricing.outputPerMillion) / TOKENS_PER_MILLION
  );
}

export interface ProbeCostEstimate {
  tokensPerProbe: number | null;
  estimatedUsdPerDay: number | null;
}

/**
 * The daily cost of probing a model every `intervalMs`, from its last probe's usage; null parts
 * when there is no usage yet or no price.
 */
export function probeCostPerDay(
  pricing: Pricing | null,
  usage: TokenUsage | null,
  intervalMs: number,
): ProbeCostEstimate {
  if (!usage) return { tokensPerProbe: null, estimatedUsdPerDay: null };
  const tokensPerProbe = usage.inputTokens + usage.outputTokens;
  if (!pricing) return { tokensPerProbe, estimatedUsdPerDay: null };
  return { tokensPerProbe, estimatedUsdPerDay: callCostUsd(pricing, usage) * (DAY_MS / intervalMs) };
}
