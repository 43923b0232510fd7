// A fake-clock harness to drive the engine through scenarios in tests: steps of samples and waits.
// Pure and dependency-free (no vitest import): the domain's own tests and benches can use it alike.
import { HealthEngine } from '../../src/domain/health/engine.js';
import type {
  HealthSnapshot,
  ThresholdOverrides,
  Outcome,
  Sample,
  SampleSource,
  Transition,
} from '../../src/domain/health/types.js';

export const T0 = 1_700_000_000_000;
export const MODEL = 'openai:gpt-4o';

/** HTTP status an agent would report for each outcome class (docs/contracts.md). */
const STATUS_OF: Record<Outcome, number | null> = {
  success: 200,
  timeout: null,
  connection: null,
  rate_limited: 429,
  overloaded: 503,
  server_error: 500,
  auth: 401,
  not_found: 404,
  bad_request: 400,
  invalid_response: 200,
};

export interface SampleOptions {
  latencyMs?: number;
  ttftMs?: number | null;
  httpStatus?: number | null;
  errorMessage?: string | null;
  /** Clock advance before the sample is recorded (default 1 s). */
  gapMs?: number;
}

export type Step =
  | { kind: 'sample'; gapMs: number; sample: Omit<Sample, 'at'> }
  | { kind: 'wait'; ms: number }
  | { kind: 'act'; gapMs: number; act: (engine: HealthEngine, modelId: string, now: number) => Transition | null };

function sampleStep(source: SampleSource, outcome: Outcome, options: SampleOptions): Step {
  return {
    kind: 'sample',
    gapMs: options.gapMs ?? 1000,
    sample: {
      source,
      outcome,
      latencyMs: options.latencyMs ?? 200,
      ttftMs: options.ttftMs === undefined ? (outcome === 'success' ? 80 : null) : options.ttftMs,
      httpStatus: options.httpStatus === undefined ? STATUS_OF[outcome] : options.httpStatus,
      errorMessage: options.errorMessage ?? (outcome === 'success' ? null : `${outcome} from provider`),
    },
  };
}

export const probe = (outcome: Outcome = 'success', options: SampleOptions = {}): Step =>
  sampleStep('probe', outcome, options);
export const interview = (outcome: Outcome = 'success', options: SampleOptions = {}): Step =>
  sampleStep('interview', outcome, options);
/** Advance the clock by ms, then tick(). */
export const wait = (ms: number): Step => ({ kind: 'wait', ms });
/** A call begins `gapMs` from now (default 0): its age becomes evidence. */
export const callStarts = (callId: string, gapMs = 0): Step => ({
  kind: 'act',
  gapMs,
  act: (engine, modelId, now) => engine.callStarted(modelId, callId, now),
});
/** The call's first token arrives now, `ttftMs` after it started. */
export const firstTokenOf = (callId: string, ttftMs: number, gapMs = 0): Step => ({
  kind: 'act',
  gapMs,
  act: (engine, modelId) => engine.callFirstToken(modelId, callId, ttftMs),
});
/** The caller gives up on a call that started `afterMs` ago, with no first token: a censored sample. */
export const censored = (callId: string | null, afterMs: number, gapMs = 0): Step => ({
  kind: 'act',
  gapMs,
  act: (engine, modelId, now) => engine.callCensored(modelId, callId, now - afterMs, afterMs),
});
/** A call that started `latencyMs` ago completes now (a sample with its start time). */
export const completes = (
  source: SampleSource,
  outcome: Outcome,
  latencyMs: number,
  options: { callId?: string; ttftMs?: number | null; gapMs?: number } = {},
): Step => ({
  kind: 'act',
  gapMs: options.gapMs ?? 0,
  act: (engine, modelId, now) =>
    engine.addSample(modelId, {
      at: now,
      startedAt: now - latencyMs,
      source,
      outcome,
      latencyMs,
      ttftMs: options.ttftMs === undefined ? (outcome === 'success' ? Math.min(80, latencyMs) : null) : options.ttftMs,
      httpStatus: STATUS_OF[outcome],
      ...(options.callId === undefined ? {} : { callId: options.callId }),
    }),
});
export const times = (count: number, step: Step): Step[] => Array.from({ length: count }, () => step);

/** An engine with one model, a fake clock, and every transition collected. */
export class Scenario {
  now = T0;
  readonly engine = new HealthEngine(() => this.now);
  readonly transitions: Transition[] = [];

  constructor(
    overrides?: ThresholdOverrides,
    readonly modelId = MODEL,
    probeIntervalMs?: number,
  ) {
    this.engine.register(modelId, overrides, probeIntervalMs);
  }

  run(steps: ReadonlyArray<Step | Step[]>): this {
    for (const step of steps.flat()) this.apply(step);
    return this;
  }

  snapshot(): HealthSnapshot {
    return this.engine.snapshot(this.modelId);
  }

  /** Transitions as "from→to" strings, compact to assert on. */
  path(): string[] {
    return this.transitions.map((transition) => `${transition.from}→${transition.to}`);
  }

  private apply(step: Step): void {
    if (step.kind === 'wait') {
      this.now += step.ms;
      this.transitions.push(...this.engine.tick());
      return;
    }
    this.now += step.gapMs;
    const transition =
      step.kind === 'act'
        ? step.act(this.engine, this.modelId, this.now)
        : this.engine.addSample(this.modelId, { ...step.sample, at: this.now });
    if (transition !== null) this.transitions.push(transition);
  }
}
