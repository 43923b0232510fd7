import { describe, expect, it } from 'vitest';
import { HandoffGate } from './handoff-gate.js';
import { StartAdmission } from './start-admission.js';
import { AppError } from './app-error.js';
import type { RefusalReason } from '../telemetry/admission-metrics.js';

const settings = { targetMs: 50, intervalMs: 100, minCalls: 1 };

function gateAt(start = 1_000) {
  let now = start;
  const gate = new HandoffGate(settings, () => now);
  return { gate, advance: (ms: number) => (now += ms) };
}

describe('HandoffGate', () => {
  it('when every handoff of an interval is over the target, then the next interval refuses', () => {
    const { gate, advance } = gateAt();
    gate.observe(80);
    advance(50);
    gate.observe(120);
    expect(gate.queueMs()).toBeNull(); // still the same interval: nothing judged yet
    advance(50);
    expect(gate.queueMs()).toBe(80);
  });

  it('when one handoff of the interval is within the target, then it admits (a burst is not a queue)', () => {
    const { gate, advance } = gateAt();
    gate.observe(400);
    gate.observe(10);
    gate.observe(300);
    advance(100);
    expect(gate.queueMs()).toBeNull();
  });

  it('when the queue drains, then the interval after admits again', () => {
    const { gate, advance } = gateAt();
    gate.observe(200);
    advance(100);
    expect(gate.queueMs()).toBe(200);
    gate.observe(5);
    advance(100);
    expect(gate.queueMs()).toBeNull();
  });

  it('when nothing was handed off in the last interval, then it admits', () => {
    const { gate, advance } = gateAt();
    gate.observe(200);
    advance(100);
    expect(gate.queueMs()).toBe(200);
    advance(100); // an interval with no handoffs
    expect(gate.queueMs()).toBeNull();
  });

  it('when handoffs stop and the next look comes long after, then the old queue is not held against it', () => {
    const { gate, advance } = gateAt();
    gate.observe(200);
    advance(250);
    expect(gate.queueMs()).toBeNull();
  });

  it('when the interval had fewer handoffs than minCalls, then it admits however slow they were', () => {
    let now = 0;
    const gate = new HandoffGate({ ...settings, minCalls: 3 }, () => now);
    gate.observe(500);
    gate.observe(500);
    now += 100;
    expect(gate.queueMs()).toBeNull();
    for (let i = 0; i < 3; i += 1) gate.observe(500);
    now += 100;
    expect(gate.queueMs()).toBe(500);
  });

  it('when minCalls calls are still waiting longer than target + interval, then it refuses before any is taken on', () => {
    let now = 0;
    const gate = new HandoffGate({ ...settings, minCalls: 2 }, () => now);
    const first = gate.begin();
    now += 10;
    const second = gate.begin();
    now += 145; // first waited 155 ms, second 145 ms (target 50 + interval 100 = 150)
    expect(gate.queueMs()).toBeNull();
    now += 10; // 165 and 155 ms
    expect(gate.queueMs()).toBe(165);
    first.end(false); // failed: no longer waiting, and no handoff either
    expect(gate.queueMs()).toBeNull();
    second.end(true);
    second.end(true); // ending twice counts once
    now += 100;
    expect(gate.queueMs()).toBeNull(); // one handoff (155 ms) is fewer than minCalls
  });

  it('when waiting calls are taken on, then their waits become handoffs of the interval', () => {
    const { gate, advance } = gateAt();
    const calls = [gate.begin(), gate.begin()];
    advance(70);
    expect(gate.queueMs()).toBeNull(); // waiting, but not yet for target + interval: a burst
    for (const c of calls) c.end(true);
    advance(30);
    expect(gate.queueMs()).toBe(70);
  });

  it('when a handoff is exactly the target, then it is within it', () => {
    const { gate, advance } = gateAt();
    gate.observe(50);
    advance(100);
    expect(gate.queueMs()).toBeNull();
  });
});

describe('StartAdmission with a handoff gate', () => {
  it('when calls queue, then a start is refused 503 overloaded naming the handoff target, and admitted once they do not', () => {
    const { gate, advance } = gateAt();
    const counted: RefusalReason[] = [];
    const admission = new StartAdmission(
      { maxInFlight: 100, maxInFlightPerModel: 100, retryAfterSeconds: 2 },
      (r) => counted.push(r),
      gate,
    );
    gate.observe(90);
    advance(100);
    let err: unknown = null;
    try {
      admission.admit('a');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(503);
    expect((err as AppError).details).toMatchObject({
      retryable: true,
      retryAfterSeconds: 2,
      reason: 'handoff_delay',
      limit: 'interviews.handoffTargetMs',
    });
    expect((err as AppError).message).toContain('interviews.handoffTargetMs = 50');
    expect(counted).toEqual(['handoff_delay']);
    expect(admission.inFlight()).toBe(0);

    gate.observe(3);
    advance(100);
    expect(() => admission.admit('a')()).not.toThrow();
  });
});
