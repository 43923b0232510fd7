// Public API of the health engine. See model-health.ts for the state machine and rules.ts for the rules.
export { OUTCOMES, HEALTH_STATES, isHardFailure } from './types.js';
export type {
  Outcome,
  HealthState,
  SampleSource,
  Sample,
  HealthThresholds,
  LatencyFigures,
  HealthSnapshot,
  Transition,
} from './types.js';
export { DEFAULT_THRESHOLDS, resolveThresholds } from './thresholds.js';
export { HealthEngine } from './engine.js';
