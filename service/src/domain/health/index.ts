// Public API of the health engine. See model-health.ts for the state machine and rules.ts for the rules.
export { OUTCOMES, HEALTH_STATES, isHardFailure } from './types.js';
export type {
  Outcome,
  HealthState,
  SampleSource,
  Sample,
  HealthThresholds,
  ResolvedThresholds,
  ThresholdOverrides,
  LatencyFigures,
  HealthSnapshot,
  HealthReader,
  Transition,
} from './types.js';
export { DEFAULT_THRESHOLDS, crossThresholdProblems, defaultThresholds, resolveThresholds } from './thresholds.js';
export {
  THRESHOLD_DECLARATIONS,
  describeRange,
  fromFileUnit,
  thresholdValueProblem,
  toFileUnit,
} from './threshold-declarations.js';
export type { ThresholdDeclaration, ThresholdKey, ThresholdConfigName } from './threshold-declarations.js';
export { HealthEngine } from './engine.js';
export { encodeMemento, decodeMemento } from './persisted.js';
export type { HealthMemento } from './persisted.js';
