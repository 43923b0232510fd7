// The config file's `health:` block against the engine, driven by the threshold declarations: every
// threshold the engine reads can be set, and both validators accept and refuse the same values.
import { describe, expect, it } from 'vitest';
import {
  HealthEngine,
  THRESHOLD_DECLARATIONS,
  defaultThresholds,
  fromFileUnit,
  resolveThresholds,
  toFileUnit,
  type ThresholdDeclaration,
  type ThresholdKey,
} from '../domain/health/index.js';
import { buildModelRegistry } from './build-model-registry.js';
import { ConfigError, parseConfigText } from './load.js';
import type { ConfigFile } from './schema.js';

const PROVIDERS = `providers:\n  openai: { kind: openai, baseUrl: 'http://127.0.0.1:1/v1', apiKeyEnv: OPENAI_API_KEY }\n`;

const yamlNumber = (value: number): string =>
  Number.isNaN(value) ? '.nan' : value === Infinity ? '.inf' : value === -Infinity ? '-.inf' : String(value);

function configWith(block: string): string {
  return `${PROVIDERS}${block}models:\n  - id: openai:gpt-4o\n  - id: openai:gpt-4o-mini\n`;
}

/** The problems start-up reports, or [] when the file is accepted. */
function configProblems(text: string): string[] {
  try {
    parseConfigText('test.yaml', text, {});
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

function load(text: string): ConfigFile {
  return parseConfigText('test.yaml', text, {});
}

function domainAccepts(declaration: ThresholdDeclaration, fileValue: number): boolean {
  try {
    resolveThresholds({ [declaration.key]: fromFileUnit(declaration, fileValue) });
    return true;
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return false;
  }
}

/** Values around each end of the declared range, in the file's unit, plus the usual suspects. */
function boundaryValues(declaration: ThresholdDeclaration): number[] {
  const { range } = declaration;
  const min = toFileUnit(declaration, range.min);
  const step = range.integer ? 1 : toFileUnit(declaration, 1) / 2;
  const values = [min - step, min, min + step, min + 0.5, 0, -1, 0.5, 1, 1.5, 2, 1e6, NaN, Infinity, -Infinity];
  if (range.max !== undefined) {
    const max = toFileUnit(declaration, range.max);
    values.push(max - 1, max, max + step, max + 1);
  }
  return [...new Set(values)];
}

/** A value inside the range that differs from the default, in the file's unit. */
function anotherAllowedValue(declaration: ThresholdDeclaration): number {
  const current = toFileUnit(declaration, defaultThresholds()[declaration.key as ThresholdKey]);
  const candidate = declaration.range.integer ? current + 1 : current * 1.5 + 1;
  return declaration.range.max !== undefined
    ? Math.min(candidate, toFileUnit(declaration, declaration.range.max))
    : candidate;
}

describe('when a threshold is set in the config file, then the engine uses it', () => {
  it('when the engine resolves thresholds, then every one it reads is declared (and so settable)', () => {
    expect(Object.keys(resolveThresholds()).sort()).toEqual(THRESHOLD_DECLARATIONS.map((d) => d.key).sort());
  });

  it.each(THRESHOLD_DECLARATIONS.map((d) => [d.configName, d] as const))(
    'when health.%s is set at the top level and per model, then the engine gets each in its own unit',
    (configName, declaration: ThresholdDeclaration) => {
      const topLevel = anotherAllowedValue(declaration);
      const own = declaration.range.integer ? topLevel : topLevel * 2;
      // recoveryMaxSuccesses must stay ≥ recoverySuccesses: raise the cap alongside.
      const cap = configName === 'recoverySuccesses' ? '  recoveryMaxSuccesses: 100\n' : '';
      const text =
        `${PROVIDERS}health:\n  ${configName}: ${topLevel}\n${cap}` +
        `models:\n  - id: openai:gpt-4o\n  - id: openai:gpt-4o-mini\n    health: { ${configName}: ${own} }\n`;
      const registry = buildModelRegistry(load(text));
      const engine = new HealthEngine(() => 0);
      for (const m of registry.all()) engine.register(m.id, m.health, m.probe.intervalMs);

      expect(engine.snapshot('openai:gpt-4o').thresholds[declaration.key as ThresholdKey]).toBe(
        fromFileUnit(declaration, topLevel),
      );
      expect(engine.snapshot('openai:gpt-4o-mini').thresholds[declaration.key as ThresholdKey]).toBe(
        fromFileUnit(declaration, own),
      );
    },
  );
});

describe('when config and domain judge the same threshold value, then they agree', () => {
  const cases = THRESHOLD_DECLARATIONS.flatMap((d) =>
    boundaryValues(d).map((value) => [d.configName, yamlNumber(value), d, value] as const),
  );

  it.each(cases)('when health.%s is %s', (configName, shownValue, declaration, value) => {
    const problems = configProblems(configWith(`health:\n  ${configName}: ${shownValue}\n`));
    expect(problems.length === 0).toBe(domainAccepts(declaration, value));
    // A top-level setting is blamed on the top level, never on a model.
    for (const problem of problems) expect(problem).toMatch(/^health\./);
  });
});

describe('when a health setting is out of range or inconsistent, then the right field is blamed', () => {
  it.each([
    ['health:\n  unhealthyErrorRate: 2\n', []],
    ['health:\n  rateLimitedRecentSeconds: 0\n  tripMemorySeconds: 0\n', []],
    ['health:\n  slowCallRate: 0.2\n', []],
    ['health:\n  unhealthyErrorRate: 0\n', ['health.unhealthyErrorRate: must be a ratio > 0']],
    ['health:\n  rateLimitedRecentSeconds: -1\n', ['health.rateLimitedRecentSeconds: must be a number of seconds ≥ 0']],
    ['health:\n  maxSamples: 100001\n', ['health.maxSamples: must be an integer from 1 to 100000']],
    [
      'health:\n  recoverySuccesses: 9\n',
      ['health.recoveryMaxSuccesses: recoveryMaxSuccesses (8) must be ≥ recoverySuccesses (9)'],
    ],
  ])('when the top level sets %j, then start-up reports %j', (block, expected) => {
    expect(configProblems(configWith(block))).toEqual(expected);
  });

  it('when only a model makes the recovery streak exceed its cap, then that model is blamed', () => {
    const text =
      `${PROVIDERS}health:\n  recoveryMaxSuccesses: 4\n` +
      `models:\n  - id: openai:gpt-4o\n  - id: openai:gpt-4o-mini\n    health: { recoverySuccesses: 5 }\n`;
    expect(configProblems(text)).toEqual([
      'models[1].health.recoveryMaxSuccesses: recoveryMaxSuccesses (4) must be ≥ recoverySuccesses (5)',
    ]);
  });

  it('when a model fixes what the top level breaks, then only the top level is blamed', () => {
    const text =
      `${PROVIDERS}health:\n  recoverySuccesses: 9\n` +
      `models:\n  - id: openai:gpt-4o\n    health: { recoveryMaxSuccesses: 9 }\n`;
    expect(configProblems(text)).toEqual([
      'health.recoveryMaxSuccesses: recoveryMaxSuccesses (8) must be ≥ recoverySuccesses (9)',
    ]);
  });
});
