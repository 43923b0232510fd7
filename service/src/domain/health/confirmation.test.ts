// Confirmation runs through the engine: opened by a suspicion, closed by a success, a trip or its budget.
import { describe, expect, it } from 'vitest';
import { Scenario, censored, interview, probe, times, wait } from '../../../test/support/health-scenario.js';
import type { Step } from '../../../test/support/health-scenario.js';

const warm: Step[] = times(10, probe());

const cases: Array<{ name: string; steps: Array<Step | Step[]>; confirming: boolean; state?: string }> = [
  { name: 'when nothing failed, then no confirmation run', steps: [warm], confirming: false },
  {
    name: 'when a probe fails on a healthy model, then a run opens',
    steps: [warm, probe('server_error')],
    confirming: true,
  },
  {
    name: 'when an interview call fails, then a run opens too',
    steps: [warm, interview('timeout')],
    confirming: true,
  },
  {
    name: 'when a 429 arrives, then no run opens (the provider is up)',
    steps: [warm, probe('rate_limited')],
    confirming: false,
  },
  {
    name: 'when a censored call missed the first-token budget, then a run opens',
    steps: [warm, censored(null, 700, 1000)],
    confirming: true,
  },
  {
    name: 'when a probe succeeds but its first token came after the budget, then a run opens',
    steps: [warm, probe('success', { latencyMs: 4100, ttftMs: 4000 })],
    confirming: true,
  },
  {
    name: 'when a confirmation probe is late again, then the run stays open',
    steps: [warm, probe('server_error'), probe('success', { latencyMs: 4100, ttftMs: 4000 })],
    confirming: true,
  },
  {
    name: 'when a confirmation probe succeeds, then the run closes',
    steps: [warm, probe('server_error'), probe()],
    confirming: false,
  },
  {
    name: 'when the failures trip the model, then the run closes: it is confirmed',
    steps: [warm, times(3, probe('server_error', { gapMs: 1000 }))],
    confirming: false,
    state: 'unhealthy',
  },
  {
    name: 'when a run closed less than one probe interval ago, then a new failure opens none',
    steps: [warm, probe('server_error'), probe(), probe('server_error', { gapMs: 2000 })],
    confirming: false,
  },
  {
    name: 'when a run closed one probe interval ago or more, then a new failure opens one',
    steps: [warm, probe('server_error'), probe(), probe('server_error', { gapMs: 10_000 })],
    confirming: true,
  },
  {
    name: 'when a run has sent as many probes as a trip needs, then it closes even without a verdict',
    steps: [
      warm,
      probe('server_error'),
      interview(),
      probe('server_error'),
      interview(),
      probe('server_error'),
      interview(),
      probe('server_error'),
    ],
    confirming: false,
    state: 'degraded',
  },
  {
    name: 'when time passes, then an open run stays open',
    steps: [warm, probe('server_error'), wait(5000)],
    confirming: true,
  },
];

describe('confirmation runs', () => {
  it.each(cases)('$name', ({ steps, confirming, state }) => {
    const scenario = new Scenario().run(steps);
    expect(scenario.snapshot().confirming).toBe(confirming);
    expect(scenario.engine.isConfirming(scenario.modelId)).toBe(confirming);
    if (state !== undefined) expect(scenario.snapshot().state).toBe(state);
  });
});
