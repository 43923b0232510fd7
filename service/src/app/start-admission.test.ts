import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { StartAdmission } from './start-admission.js';
import type { RefusalReason } from '../telemetry/admission-metrics.js';

const limits = { maxInFlight: 3, maxInFlightPerModel: 2, retryAfterSeconds: 2 };

// Each case: starts held in flight (model ids), then one more start of `next`.
const cases: Array<{ name: string; held: string[]; next: string; refused: RefusalReason | null }> = [
  { name: 'when nothing is in flight, then a start is admitted', held: [], next: 'a', refused: null },
  { name: 'when the model has room and so has the service, then admitted', held: ['a'], next: 'a', refused: null },
  {
    name: 'when the model is at its limit, then refused naming the model limit',
    held: ['a', 'a'],
    next: 'a',
    refused: 'model_limit',
  },
  {
    name: 'when another model is at its limit, then this one is still admitted',
    held: ['a', 'a'],
    next: 'b',
    refused: null,
  },
  {
    name: 'when the service is at its limit, then refused naming the service limit',
    held: ['a', 'b', 'c'],
    next: 'd',
    refused: 'service_limit',
  },
  {
    name: 'when both are full, then the service limit is named',
    held: ['a', 'a', 'b'],
    next: 'a',
    refused: 'service_limit',
  },
];

describe('StartAdmission', () => {
  it.each(cases)('$name', ({ held, next, refused }) => {
    const counted: RefusalReason[] = [];
    const admission = new StartAdmission(limits, (r) => counted.push(r));
    for (const id of held) admission.admit(id);
    if (refused === null) {
      expect(() => admission.admit(next)).not.toThrow();
      expect(counted).toEqual([]);
      return;
    }
    const err = (() => {
      try {
        admission.admit(next);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect([e.status, e.code]).toEqual([503, 'overloaded']);
    expect(e.details).toMatchObject({ retryable: true, retryAfterSeconds: 2, reason: refused });
    expect(e.message).toContain(
      refused === 'model_limit' ? 'interviews.maxInFlightPerModel = 2' : 'interviews.maxInFlight = 3',
    );
    expect(counted).toEqual([refused]);
  });

  it('when a start ends, then its slot is free again, and a second release frees nothing more', () => {
    const admission = new StartAdmission(limits);
    const release = admission.admit('a');
    admission.admit('a');
    expect(() => admission.admit('a')).toThrow(AppError);
    release();
    release();
    expect(admission.inFlight('a')).toBe(1);
    expect(admission.inFlight()).toBe(1);
    admission.admit('a');
    expect(() => admission.admit('a')).toThrow(AppError);
  });

  it('when starts are refused, then nothing is held for them', () => {
    const admission = new StartAdmission({ ...limits, maxInFlight: 1 });
    admission.admit('a');
    for (let i = 0; i < 5; i += 1) expect(() => admission.admit('b')).toThrow(AppError);
    expect(admission.inFlight()).toBe(1);
    expect(admission.inFlight('b')).toBe(0);
  });
});
