// Hedged attempts for one interview start ("The Tail at Scale"; gRPC's hedging policy).
//
// Candidates are tried in plan order. If the attempt started last has no first token after its
// model's hedge delay, counted from when the agent took it on (a call still queued at the agent would
// only queue a second one behind it), the next candidate starts beside it; an attempt that fails starts the next one
// at once. At most MAX_IN_FLIGHT attempts run together and MAX_ATTEMPTS in all, every one inside the
// start's deadline. The first success wins; every other attempt is aborted (its HTTP call to the
// agent closed, which stops the SDK stream at the provider).
import type { AgentCallResult } from '../agent/agent-client.js';
import type { Refusal } from './interview-attempt.js';
import type { Candidate } from '../domain/selection.js';

export const MAX_ATTEMPTS = 5;
export const MAX_IN_FLIGHT = 2;

export interface AttemptLimits {
  startedAt: number;
  deadlineMs: number;
  attemptTimeoutMs: number;
  /** Below this an attempt cannot fairly judge a model: none is started on less. */
  minAttemptMs: number;
  /** The agent gets a little less than what is left, so its own timeout answers first. */
  answerMarginMs: number;
}

export interface AttemptHooks {
  signal: AbortSignal;
  /** The agent has taken the attempt on: its model's hedge delay starts now. */
  onTakenOn: () => void;
  onFirstToken: (ttftMs: number) => void;
}

/** Runs one call: `timeoutMs` for the agent's own timeout, `transportMs` for the whole exchange. */
/** A provider's answer, or an attempt that was not made (refused by the agent, or removed by a reload). */
export type AttemptResult = AgentCallResult | Refusal;

export type Launch = (
  candidate: Candidate,
  budget: { timeoutMs: number; transportMs: number },
  hooks: AttemptHooks,
) => Promise<AttemptResult>;

export interface AttemptRun {
  candidate: Candidate;
  startedAt: number;
  firstTokenAt: number | null;
  /** Null while running, or when it was cancelled because another attempt won. */
  result: AttemptResult | null;
  cancelledAt: number | null;
}

export interface HedgeDeps {
  clock: () => number;
  hedgeDelayMs: (modelId: string) => number;
}

/** Resolves with the winning run (null if none succeeded) and every run started, in start order. */
export function runHedged(
  candidates: readonly Candidate[],
  limits: AttemptLimits,
  launch: Launch,
  deps: HedgeDeps,
): Promise<{ winner: AttemptRun | null; runs: AttemptRun[] }> {
  return new Promise((resolve, reject) => {
    const queue = candidates.slice(0, MAX_ATTEMPTS);
    const runs: AttemptRun[] = [];
    const live = new Map<AttemptRun, { controller: AbortController; timer: NodeJS.Timeout | undefined }>();
    let settled = false;

    const finish = (winner: AttemptRun | null, error?: unknown): void => {
      if (settled) return;
      settled = true;
      for (const [run, handle] of live) {
        clearTimeout(handle.timer);
        run.cancelledAt = deps.clock();
        handle.controller.abort();
      }
      live.clear();
      if (error === undefined) resolve({ winner, runs });
      else reject(error instanceof Error ? error : new Error('an attempt failed unexpectedly'));
    };

    const startNext = (): boolean => {
      if (settled || queue.length === 0 || live.size >= MAX_IN_FLIGHT) return false;
      const remaining = limits.startedAt + limits.deadlineMs - deps.clock();
      const timeoutMs = Math.min(limits.attemptTimeoutMs, remaining - limits.answerMarginMs);
      if (timeoutMs < limits.minAttemptMs) return false;
      const candidate = queue.shift()!;
      const run: AttemptRun = {
        candidate,
        startedAt: deps.clock(),
        firstTokenAt: null,
        result: null,
        cancelledAt: null,
      };
      const handle = { controller: new AbortController(), timer: undefined as NodeJS.Timeout | undefined };
      const { controller } = handle;
      live.set(run, handle);
      runs.push(run);
      const hooks: AttemptHooks = {
        signal: controller.signal,
        onTakenOn: () => {
          if (settled || run.firstTokenAt !== null || handle.timer !== undefined) return;
          // No first token in time: the next candidate starts beside this one.
          handle.timer = setTimeout(() => {
            if (run.firstTokenAt === null) startNext();
          }, deps.hedgeDelayMs(candidate.modelId));
        },
        onFirstToken: () => {
          run.firstTokenAt = deps.clock();
          clearTimeout(handle.timer);
        },
      };
      launch(candidate, { timeoutMs, transportMs: remaining }, hooks).then(
        (result) => {
          clearTimeout(handle.timer);
          if (settled || !live.delete(run)) return;
          run.result = result;
          if (result.outcome === 'success') finish(run);
          else if (!startNext() && live.size === 0) finish(null);
        },
        (err: unknown) => {
          clearTimeout(handle.timer);
          if (settled || controller.signal.aborted) return;
          live.delete(run);
          finish(null, err);
        },
      );
      return true;
    };

    if (!startNext()) finish(null);
  });
}
