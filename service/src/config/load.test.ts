import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, interpolate, loadConfigFile } from './load.js';
import { buildModelRegistry } from './build-model-registry.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/invalid-config');
const DEMO = join(import.meta.dirname, '../../../config/demo.yaml');

function problemsOf(file: string): string[] {
  try {
    loadConfigFile(join(FIXTURES, file), {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(join(FIXTURES, file));
    return (err as ConfigError).problems;
  }
  throw new Error(`${file} was accepted`);
}

describe('when a config file is invalid, then start-up names the file, the field and the reason', () => {
  it.each([
    ['unknown-provider.yaml', ['models[0].id: provider "mistral" is not declared under providers (declared: openai)']],
    [
      'bad-kind.yaml',
      ['providers.openai.kind: Invalid option: expected one of "openai"|"anthropic"|"openai_compatible"'],
    ],
    ['duplicate-model.yaml', ['models[1].id: duplicate model id "openai:gpt-4o"']],
    [
      'key-not-a-variable.yaml',
      [
        'providers.openai.apiKeyEnv: must be the name of an environment variable ending in _API_KEY, such as OPENAI_API_KEY',
      ],
    ],
    ['bad-error-rate.yaml', ['models[0].health.unhealthyErrorRate: must be a ratio > 0']],
    ['unknown-field.yaml', ['models[0]: Unrecognized key: "intervalSeconds"']],
    ['no-models.yaml', ['models: register at least one model']],
    [
      'recovery-over-cap.yaml',
      ['health.recoveryMaxSuccesses: recoveryMaxSuccesses (8) must be ≥ recoverySuccesses (9)'],
    ],
    [
      'bad-header.yaml',
      [
        'providers.openai.headers.x bad: Invalid key in record',
        'models[0].probe.timeoutSeconds: Too big: expected number to be <=600',
      ],
    ],
    ['bad-url.yaml', ['providers.openai.baseUrl: must be an http(s) URL']],
    [
      'missing-variable.yaml',
      [
        'environment variable MODELWATCH_TEST_UNSET_HOST is referenced but not set (use ${MODELWATCH_TEST_UNSET_HOST:-default})',
      ],
    ],
    [
      'several-problems.yaml',
      [
        'models[0].probe.intervalSeconds: Too small: expected number to be >=1',
        'probes.timeoutSeconds: Too small: expected number to be >0',
        'models[1].id: provider "anthropic" is not declared under providers (declared: openai)',
      ],
    ],
  ])('%s', (file, expected) => {
    expect(problemsOf(file)).toEqual(expected);
  });

  it('bad-model-id.yaml: says the id must be provider:model', () => {
    expect(problemsOf('bad-model-id.yaml')[0]).toBe(
      'models[0].id: must be "provider:model" (letters, digits, ".", "_", "-"), e.g. openai:gpt-4o',
    );
  });

  it('bad-yaml.yaml: a YAML syntax error names its line', () => {
    expect(problemsOf('bad-yaml.yaml')[0]).toMatch(/^line \d+: YAML syntax: /);
  });

  it('a missing file says it cannot be read', () => {
    expect(problemsOf('does-not-exist.yaml')).toEqual(['(file): cannot read the file (ENOENT)']);
  });
});

describe('interpolate', () => {
  it.each([
    ['${A}', { A: 'x' }, 'x', []],
    ['${A:-d}', {}, 'd', []],
    ['${A:-d}', { A: '' }, 'd', []],
    ['${A}', {}, '', ['A']],
    ['http://${H:-127.0.0.1}:${P:-8010}/v1', { P: '9' }, 'http://127.0.0.1:9/v1', []],
  ])('when %s with %j, then %s', (text, env, out, missing) => {
    expect(interpolate(text, env as Record<string, string>)).toEqual({ text: out, missing });
  });
});

describe('when the demo config loads, then', () => {
  const config = loadConfigFile(DEMO, { SIMULATOR_PORT: '9999' });
  const registry = buildModelRegistry(config);

  it('registers the three demo models against the simulator', () => {
    expect(registry.ids()).toEqual(['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4']);
    expect(config.providers.openai?.baseUrl).toBe('http://127.0.0.1:9999/v1');
    expect(registry.get('anthropic:claude-sonnet-4')).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4',
    });
    expect(config.providers.anthropic?.kind).toBe('anthropic');
  });

  it('applies the default probe schedule of 10 s, 5 s while unhealthy', () => {
    const m = registry.get('openai:gpt-4o-mini')!;
    expect(m.probe).toMatchObject({ intervalMs: 10_000, unhealthyIntervalMs: 5_000, timeoutMs: 10_000, maxTokens: 1 });
  });
});

describe('when the real-provider example loads, then', () => {
  it('it is valid and names key variables, not keys', () => {
    const config = loadConfigFile(join(import.meta.dirname, '../../../config/real-providers.example.yaml'), {});
    const registry = buildModelRegistry(config);
    expect(registry.get('groq:llama-3.3-70b')?.provider).toBe('groq');
    expect(config.providers.groq).toMatchObject({
      kind: 'openai_compatible',
      apiKeyEnv: 'GROQ_API_KEY',
    });
    expect(registry.get('anthropic:claude-sonnet-4')?.model).toBe('claude-sonnet-4-20250514');
  });
});
