import type { ConfigFile } from '../config/schema.js';
import type { HandoffGateSettings } from './handoff-gate.js';
import type { StarterSettings } from './interview-starter.js';
import type { AdmissionLimits } from './start-admission.js';

/**
 * The `interviews` section as the parts that use it take it: the one mapping, applied at start-up and
 * again on each reload (a change takes effect for the starts and attempts that follow, no restart).
 */
export function interviewSettings(interviews: ConfigFile['interviews']): {
  handoff: HandoffGateSettings;
  admission: AdmissionLimits;
  starter: StarterSettings;
} {
  return {
    handoff: {
      targetMs: interviews.handoffTargetMs,
      intervalMs: interviews.handoffIntervalMs,
      minCalls: interviews.handoffMinCalls,
    },
    admission: {
      maxInFlight: interviews.maxInFlight,
      maxInFlightPerModel: interviews.maxInFlightPerModel,
      retryAfterSeconds: interviews.retryAfterSeconds,
    },
    starter: {
      deadlineMs: interviews.deadlineSeconds * 1000,
      attemptTimeoutMs: interviews.attemptTimeoutSeconds * 1000,
      maxTokens: interviews.maxTokens,
    },
  };
}
