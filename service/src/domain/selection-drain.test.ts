import { describe, expect, it } from 'vitest';
import type { HealthState } from './health/index.js';
import { planSelection } from './selection.js';

const REGISTERED = [
  { id: 'a:primary', tier: 'flagship', capabilities: [] },
  { id: 'a:twin', tier: 'flagship', capabilities: [] },
  { id: 'b:other', tier: 'small', capabilities: [] },
];

function plan(states: Record<string, HealthState>, drained: string[]) {
  const result = planSelection({
    primary: 'a:primary',
    callerFallbacks: [],
    simulationFallbacks: [],
    registered: REGISTERED,
    health: (id) => ({ state: states[id] ?? 'healthy', reason: 'test', p95Ms: null }),
    drained: (id) => drained.includes(id),
  });
  return { reason: result.reason, order: result.order.map((c) => c.modelId) };
}

describe('planSelection with drained models', () => {
  it.each<[string, Record<string, HealthState>, string[], string | null, string[]]>([
    [
      'when the primary is drained and others are usable, then they come first and the primary after them',
      {},
      ['a:primary'],
      'primary_drained',
      ['a:twin', 'b:other', 'a:primary'],
    ],
    [
      'when a healthy candidate is drained, then it comes after every candidate that is not, even a degraded one',
      { 'a:primary': 'unhealthy', 'b:other': 'degraded' },
      ['a:twin'],
      'primary_unhealthy',
      ['b:other', 'a:twin', 'a:primary'],
    ],
    [
      'when the primary is unhealthy and every other model is drained, then a drained one is tried before the primary',
      { 'a:primary': 'unhealthy' },
      ['a:twin', 'b:other'],
      'primary_unhealthy',
      ['a:twin', 'b:other', 'a:primary'],
    ],
    [
      'when every model is drained, then the primary serves as the last resort',
      {},
      ['a:primary', 'a:twin', 'b:other'],
      'no_healthy_model',
      ['a:primary', 'a:twin', 'b:other'],
    ],
    [
      'when the primary is drained and every other model is unhealthy, then the primary serves',
      { 'a:twin': 'unhealthy', 'b:other': 'unhealthy' },
      ['a:primary'],
      'no_healthy_model',
      ['a:primary'],
    ],
    [
      'when a drained model is unhealthy, then it is not tried at all',
      { 'a:twin': 'unhealthy' },
      ['a:twin'],
      null,
      ['a:primary', 'b:other'],
    ],
    ['when nothing is drained, then the plan is the usual one', {}, [], null, ['a:primary', 'a:twin', 'b:other']],
  ])('%s', (_name, states, drained, reason, order) => {
    expect(plan(states, drained)).toEqual({ reason, order });
  });
});
