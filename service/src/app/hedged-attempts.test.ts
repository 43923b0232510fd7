// The hedged race with a fake clock and fake timers: which attempts start when, who wins, who is cancelled.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentCallResult } from '../agent/agent-client.js';
import type { Candidate } from '../domain/selection.js';
import { runHedged, type AttemptHooks, type Launch } from './hedged-attempts.js';

const candidate = (modelId: string): Candidate => ({
  modelId,
  source: 'caller',
  state: 'healthy',
  reason: '',
  p95Ms: null,
});
const result = (outcome: AgentCallResult['outcome']): AgentCallResult => ({
  outcome,
  latencyMs: 100,
  ttftMs: outcome === 'success' ? 50 : null,
  httpStatus: outcome === 'success' ? 200 : 500,
  usage: null,
  requestId: null,
  responseModel: null,
  errorMessage: null,
});

/**
 * How each model behaves: taken on by the agent after `takenOnMs` (at once by default), or never (null);
 * answer (or fail) after `afterMs`, or never; its first token after `firstTokenMs`.
 */
interface Behaviour {
  takenOnMs?: number | null;
  afterMs: number | null;
  outcome?: AgentCallResult['outcome'];
  firstTokenMs?: number;
}

function launcher(behaviours: Record<string, Behaviour>, log: string[]): Launch {
  return (c, _budget, hooks: AttemptHooks) =>
    new Promise((resolve, reject) => {
      const b = behaviours[c.modelId]!;
      log.push(`start ${c.modelId} @${Date.now() - T0}`);
      if (b.takenOnMs === undefined || b.takenOnMs === 0) hooks.onTakenOn();
      else if (b.takenOnMs !== null) setTimeout(() => hooks.onTakenOn(), b.takenOnMs);
      if (b.firstTokenMs !== undefined) setTimeout(() => hooks.onFirstToken(b.firstTokenMs!), b.firstTokenMs);
      const timer =
        b.afterMs === null ? undefined : setTimeout(() => resolve(result(b.outcome ?? 'success')), b.afterMs);
      hooks.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        log.push(`cancel ${c.modelId} @${Date.now() - T0}`);
        reject(new DOMException('aborted', 'AbortError'));
      });
    });
}

const T0 = 1_700_000_000_000;
const limits = {
  startedAt: T0,
  deadlineMs: 30_000,
  attemptTimeoutMs: 20_000,
  minAttemptMs: 1_000,
  answerMarginMs: 250,
};

interface Case {
  name: string;
  behaviours: Record<string, Behaviour>;
  winner: string | null;
  log: string[];
}

const cases: Case[] = [
  {
    name: 'when the primary answers within its hedge delay, then nothing else starts',
    behaviours: { a: { afterMs: 300, firstTokenMs: 100 }, b: { afterMs: 100 } },
    winner: 'a',
    log: ['start a @0'],
  },
  {
    name: 'when the primary has no first token after its hedge delay, then the next starts and the first success wins',
    behaviours: { a: { afterMs: null }, b: { afterMs: 200, firstTokenMs: 50 } },
    winner: 'b',
    log: ['start a @0', 'start b @500', 'cancel a @700'],
  },
  {
    name: 'when the agent takes the primary on late, then its hedge delay counts from then',
    behaviours: { a: { takenOnMs: 2_000, afterMs: null }, b: { afterMs: 200, firstTokenMs: 50 } },
    winner: 'b',
    log: ['start a @0', 'start b @2500', 'cancel a @2700'],
  },
  {
    name: 'when the agent never takes the primary on, then no hedge queues behind it and it ends at its timeout',
    behaviours: { a: { takenOnMs: null, afterMs: 5_000, outcome: 'timeout' }, b: { afterMs: 200, firstTokenMs: 50 } },
    winner: 'b',
    log: ['start a @0', 'start b @5000'],
  },
  {
    name: 'when the primary had its first token in time, then it is not hedged even if it ends late',
    behaviours: { a: { afterMs: 2_000, firstTokenMs: 100 }, b: { afterMs: 100 } },
    winner: 'a',
    log: ['start a @0'],
  },
  {
    name: 'when the primary fails fast, then the next starts at once',
    behaviours: { a: { afterMs: 50, outcome: 'server_error' }, b: { afterMs: 100 } },
    winner: 'b',
    log: ['start a @0', 'start b @50'],
  },
  {
    name: 'when two attempts are silent, then a third waits until one of them ends',
    behaviours: { a: { afterMs: null }, b: { afterMs: 1_500, outcome: 'timeout' }, c: { afterMs: 100 } },
    winner: 'c',
    log: ['start a @0', 'start b @500', 'start c @2000', 'cancel a @2100'],
  },
  {
    name: 'when every attempt fails, then there is no winner',
    behaviours: { a: { afterMs: 50, outcome: 'server_error' }, b: { afterMs: 50, outcome: 'server_error' } },
    winner: null,
    log: ['start a @0', 'start b @50'],
  },
];

describe('hedged attempts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(cases)('$name', async ({ behaviours, winner, log }) => {
    const seen: string[] = [];
    const running = runHedged(Object.keys(behaviours).map(candidate), limits, launcher(behaviours, seen), {
      clock: Date.now,
      hedgeDelayMs: () => 500,
    });
    await vi.runAllTimersAsync();
    const outcome = await running;
    expect(outcome.winner?.candidate.modelId ?? null).toBe(winner);
    expect(seen).toEqual(log);
    for (const run of outcome.runs)
      if (run !== outcome.winner && run.result === null) expect(run.cancelledAt).not.toBeNull();
  });
});
