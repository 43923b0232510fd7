// The `health:` block of the config file (top level and per model), derived from the threshold
// declarations: field names, units, ranges and the seconds→ms mapping all come from there, and a
// value is checked by the same function the engine uses, on the value the engine will get.
import { z } from 'zod';
import {
  THRESHOLD_DECLARATIONS,
  crossThresholdProblems,
  defaultThresholds,
  fromFileUnit,
  thresholdValueProblem,
  type ThresholdConfigName,
  type ThresholdDeclaration,
  type ThresholdKey,
  type ThresholdOverrides,
} from '../domain/health/index.js';

function thresholdField(declaration: ThresholdDeclaration) {
  return z
    .number()
    .superRefine((value, ctx) => {
      const problem = thresholdValueProblem(declaration, fromFileUnit(declaration, value));
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional();
}

export const healthSettingsSchema = z.strictObject(
  Object.fromEntries(THRESHOLD_DECLARATIONS.map((d) => [d.configName, thresholdField(d)])) as Record<
    ThresholdConfigName,
    ReturnType<typeof thresholdField>
  >,
);

export type HealthSettings = z.infer<typeof healthSettingsSchema>;

/** Maps the file's health settings (seconds for durations) onto the engine's thresholds (ms). */
export function thresholdOverridesFrom(settings: HealthSettings | undefined): ThresholdOverrides {
  const overrides: ThresholdOverrides = {};
  if (!settings) return overrides;
  for (const declaration of THRESHOLD_DECLARATIONS) {
    const value = settings[declaration.configName];
    if (value !== undefined) overrides[declaration.key] = fromFileUnit(declaration, value);
  }
  return overrides;
}

/** A problem between thresholds, with the config path of the setting to blame. */
export interface HealthSettingsIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Rules between thresholds (e.g. the recovery streak and its cap), checked as the engine will see
 * them. A problem is blamed on the block that sets one of the thresholds the rule reads: the model's
 * own `health:` if it does, else the top-level `health:`. Values out of range are the fields' own
 * issues and are not repeated here.
 */
export function crossSettingIssues(config: {
  health: HealthSettings;
  probes: { intervalSeconds: number };
  models: readonly {
    health?: HealthSettings | undefined;
    probe?: { intervalSeconds?: number | undefined } | undefined;
  }[];
}): HealthSettingsIssue[] {
  const issues = new Map<string, HealthSettingsIssue>();
  const add = (path: (string | number)[], message: string) => issues.set(path.join('.'), { path, message });
  const top = thresholdOverridesFrom(config.health);
  const topInterval = config.probes.intervalSeconds;
  for (const problem of problemsOf(top, topInterval)) add(['health', configNameOf(problem.key)], problem.message);
  config.models.forEach((model, i) => {
    const own = thresholdOverridesFrom(model.health);
    for (const problem of problemsOf({ ...top, ...own }, model.probe?.intervalSeconds ?? topInterval)) {
      const blameModel = problem.reads.some((key) => own[key] !== undefined);
      if (blameModel) add(['models', i, 'health', configNameOf(problem.key)], problem.message);
      else add(['health', configNameOf(problem.key)], problem.message);
    }
  });
  return [...issues.values()];
}

/** The cross-rule problems of these settings over the defaults of a model probed every `probeIntervalSeconds`. */
function problemsOf(overrides: ThresholdOverrides, probeIntervalSeconds: number) {
  const merged = { ...defaultThresholds(Math.round(probeIntervalSeconds * 1000)), ...definedOnly(overrides) };
  const valuesAllowed = THRESHOLD_DECLARATIONS.every((d) => thresholdValueProblem(d, merged[d.key]) === null);
  return valuesAllowed ? crossThresholdProblems(merged) : [];
}

function definedOnly(overrides: ThresholdOverrides): Partial<Record<ThresholdKey, number>> {
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
}

function configNameOf(key: ThresholdKey): ThresholdConfigName {
  return THRESHOLD_DECLARATIONS.find((d) => d.key === key)!.configName;
}
