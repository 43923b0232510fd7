import { describe, expect, it } from 'vitest';
import type { HealthState } from './health/index.js';
import { fallbackReason, planSelection, type FallbackReason, type SelectionInput } from './selection.js';

const REGISTERED = [
  { id: 'openai:gpt-4o', tier: 'flagship', capabilities: ['chat'] },
  { id: 'openai:gpt-4o-mini', tier: 'small', capabilities: [] },
  { id: 'anthropic:claude-sonnet-4', tier: 'flagship', capabilities: [] },
  { id: 'anthropic:claude-haiku', tier: 'small', capabilities: ['chat'] },
];

function input(
  states: Record<string, HealthState>,
  extra: Partial<SelectionInput> = {},
  p95: Record<string, number> = {},
): SelectionInput {
  return {
    primary: 'openai:gpt-4o',
    callerFallbacks: [],
    simulationFallbacks: [],
    registered: REGISTERED,
    health: (id) => ({
      state: states[id] ?? 'healthy',
      reason: `${states[id] ?? 'healthy'} for test`,
      p95Ms: p95[id] ?? null,
    }),
    ...extra,
  };
}
const ids = (plan: ReturnType<typeof planSelection>) => plan.order.map((c) => c.modelId);

describe('planSelection', () => {
  it.each<[string, Record<string, HealthState>, Partial<SelectionInput>, string | null, string[]]>([
    ['when the primary is healthy, then it is chosen with no reason', {}, {}, null, ['openai:gpt-4o']],
    [
      'when the primary is unknown, then it is chosen (no evidence against it)',
      { 'openai:gpt-4o': 'unknown' },
      {},
      null,
      ['openai:gpt-4o'],
    ],
    [
      'when the primary is unhealthy and the caller gives fallbacks, then the first healthy one in caller order',
      { 'openai:gpt-4o': 'unhealthy', 'openai:gpt-4o-mini': 'unhealthy' },
      { callerFallbacks: ['openai:gpt-4o-mini', 'anthropic:claude-haiku', 'anthropic:claude-sonnet-4'] },
      'primary_unhealthy',
      ['anthropic:claude-haiku'],
    ],
    [
      'when the primary is unhealthy, then caller fallbacks come before the simulation ones',
      { 'openai:gpt-4o': 'unhealthy' },
      { callerFallbacks: ['anthropic:claude-haiku'], simulationFallbacks: ['openai:gpt-4o-mini'] },
      'primary_unhealthy',
      ['anthropic:claude-haiku', 'openai:gpt-4o-mini'],
    ],
    [
      'when the primary is unhealthy and no fallbacks are given, then auto picks same tier first',
      { 'openai:gpt-4o': 'unhealthy' },
      {},
      'primary_unhealthy',
      ['anthropic:claude-sonnet-4'],
    ],
    [
      'when the primary is degraded and a candidate is healthy, then the healthy candidate',
      { 'openai:gpt-4o': 'degraded' },
      { callerFallbacks: ['openai:gpt-4o-mini'] },
      'primary_degraded',
      ['openai:gpt-4o-mini'],
    ],
    [
      'when the primary is degraded and no candidate is healthy, then the degraded primary',
      {
        'openai:gpt-4o': 'degraded',
        'openai:gpt-4o-mini': 'degraded',
        'anthropic:claude-sonnet-4': 'unknown',
        'anthropic:claude-haiku': 'unhealthy',
      },
      {},
      null,
      ['openai:gpt-4o'],
    ],
    [
      'when every model is unhealthy, then the primary is tried anyway',
      {
        'openai:gpt-4o': 'unhealthy',
        'openai:gpt-4o-mini': 'unhealthy',
        'anthropic:claude-sonnet-4': 'unhealthy',
        'anthropic:claude-haiku': 'unhealthy',
      },
      {},
      'no_healthy_model',
      ['openai:gpt-4o'],
    ],
    [
      'when the primary is unhealthy and only degraded or unknown candidates exist, then degraded before unknown',
      {
        'openai:gpt-4o': 'unhealthy',
        'openai:gpt-4o-mini': 'unknown',
        'anthropic:claude-sonnet-4': 'unhealthy',
        'anthropic:claude-haiku': 'degraded',
      },
      { callerFallbacks: ['openai:gpt-4o-mini', 'anthropic:claude-haiku'] },
      'primary_unhealthy',
      ['anthropic:claude-haiku', 'openai:gpt-4o-mini'],
    ],
  ])('%s', (_name, states, extra, reason, firstIds) => {
    const plan = planSelection(input(states, extra));
    expect(plan.reason).toBe(reason);
    expect(ids(plan).slice(0, firstIds.length)).toEqual(firstIds);
  });

  it('when auto ranks, then state comes first, then the lower p95, within kin and non-kin groups', () => {
    const plan = planSelection(
      input(
        { 'openai:gpt-4o': 'unhealthy', 'anthropic:claude-sonnet-4': 'degraded' },
        {},
        { 'openai:gpt-4o-mini': 900, 'anthropic:claude-haiku': 300 },
      ),
    );
    // kin of gpt-4o: claude-sonnet-4 (tier) and claude-haiku (capability "chat"); healthy haiku beats degraded sonnet.
    expect(plan.order.map((c) => [c.modelId, c.source])).toEqual([
      ['anthropic:claude-haiku', 'auto'],
      ['openai:gpt-4o-mini', 'auto'],
      ['anthropic:claude-sonnet-4', 'auto'],
      ['openai:gpt-4o', 'primary'],
    ]);
  });

  it('when the primary is degraded, then healthy candidates, then the primary, then the rest', () => {
    const plan = planSelection(
      input({
        'openai:gpt-4o': 'degraded',
        'openai:gpt-4o-mini': 'healthy',
        'anthropic:claude-sonnet-4': 'unknown',
        'anthropic:claude-haiku': 'degraded',
      }),
    );
    expect(ids(plan)).toEqual([
      'openai:gpt-4o-mini',
      'openai:gpt-4o',
      'anthropic:claude-haiku',
      'anthropic:claude-sonnet-4',
    ]);
    expect(plan.reason).toBe('primary_degraded');
  });

  it('when a model is named twice, then it is considered once, under its first source', () => {
    const plan = planSelection(
      input(
        { 'openai:gpt-4o': 'unhealthy' },
        { callerFallbacks: ['openai:gpt-4o-mini', 'openai:gpt-4o'], simulationFallbacks: ['openai:gpt-4o-mini'] },
      ),
    );
    expect(plan.considered.map((c) => `${c.modelId}/${c.source}`)).toEqual([
      'openai:gpt-4o/primary',
      'openai:gpt-4o-mini/caller',
      'anthropic:claude-sonnet-4/auto',
      'anthropic:claude-haiku/auto',
    ]);
  });

  it('when the primary is healthy, then the other usable candidates follow for runtime failover, unhealthy ones left out', () => {
    const plan = planSelection(
      input({ 'anthropic:claude-haiku': 'unhealthy' }, { callerFallbacks: ['openai:gpt-4o-mini'] }),
    );
    expect(ids(plan)).toEqual(['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4']);
  });
});

describe('fallbackReason', () => {
  const PRIMARY = 'openai:gpt-4o';
  const OTHER = 'anthropic:claude-sonnet-4';
  const plan = (reason: FallbackReason | null) =>
    ({ primary: { modelId: PRIMARY }, reason }) as Parameters<typeof fallbackReason>[0];

  it.each<[string, FallbackReason | null, string, boolean, FallbackReason | null]>([
    ['when a usable primary served, then there is no fallback', null, PRIMARY, true, null],
    [
      'when a degraded primary served after its healthy replacements failed, then none',
      'primary_degraded',
      PRIMARY,
      true,
      null,
    ],
    ['when another model served after the primary failed, then primary_failed', null, OTHER, true, 'primary_failed'],
    [
      'when a healthy candidate replaced a degraded primary, then primary_degraded',
      'primary_degraded',
      OTHER,
      false,
      'primary_degraded',
    ],
    [
      'when a candidate replaced an unhealthy primary, then primary_unhealthy',
      'primary_unhealthy',
      OTHER,
      false,
      'primary_unhealthy',
    ],
    [
      'when the primary was tried first and failed, then primary_failed whatever the plan said',
      'primary_degraded',
      OTHER,
      true,
      'primary_failed',
    ],
    [
      'when the unhealthy primary served because every candidate failed, then no_healthy_model',
      'primary_unhealthy',
      PRIMARY,
      true,
      'no_healthy_model',
    ],
    [
      'when the unhealthy primary served as the only choice, then no_healthy_model',
      'no_healthy_model',
      PRIMARY,
      true,
      'no_healthy_model',
    ],
    [
      'when another model served with no plan reason and the primary untried, then primary_failed',
      null,
      OTHER,
      false,
      'primary_failed',
    ],
  ])('%s', (_name, planReason, servedBy, primaryTried, expected) => {
    expect(fallbackReason(plan(planReason), { servedBy, primaryTried })).toBe(expected);
  });

  it.each<[string, FallbackReason | null, string, boolean, FallbackReason | null]>([
    ['when a hedge won while the primary was silent, then primary_slow', null, OTHER, true, 'primary_slow'],
    [
      'when a hedge won over a degraded primary still running, then primary_slow',
      'primary_degraded',
      OTHER,
      true,
      'primary_slow',
    ],
    ['when the primary itself answered, then no fallback even if it was hedged', null, PRIMARY, false, null],
  ])('%s', (_name, planReason, servedBy, primaryCancelled, expected) => {
    expect(fallbackReason(plan(planReason), { servedBy, primaryTried: true, primaryCancelled })).toBe(expected);
  });
});
