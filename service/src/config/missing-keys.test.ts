import { describe, expect, it } from 'vitest';
import { parseConfigText } from './load.js';
import { describeMissingKey, missingKeys } from './missing-keys.js';

const CONFIG = `
providers:
  openai: { kind: openai, baseUrl: "https://api.openai.com/v1", apiKeyEnv: OPENAI_API_KEY }
  groq: { kind: openai_compatible, baseUrl: "https://api.groq.com/openai/v1", apiKeyEnv: GROQ_API_KEY }
  spare: { kind: openai_compatible, baseUrl: "http://127.0.0.1:9/v1", apiKeyEnv: SPARE_API_KEY }
models:
  - { id: "openai:gpt-4o" }
  - { id: "groq:llama-3.3-70b" }
  - { id: "groq:llama-3.1-8b" }
`;
const config = parseConfigText('test.yaml', CONFIG, {});

describe('missing key variables', () => {
  it('when every key variable is set, then nothing is reported', () => {
    expect(missingKeys(config, { OPENAI_API_KEY: 'k', GROQ_API_KEY: 'k' })).toEqual([]);
  });

  it('when a key variable is unset or empty, then it is named with every model that uses it', () => {
    const missing = missingKeys(config, { OPENAI_API_KEY: '' });
    expect(missing).toEqual([
      { variable: 'OPENAI_API_KEY', providers: ['openai'], models: ['openai:gpt-4o'] },
      { variable: 'GROQ_API_KEY', providers: ['groq'], models: ['groq:llama-3.3-70b', 'groq:llama-3.1-8b'] },
    ]);
    expect(describeMissingKey(missing[1]!)).toBe(
      'environment variable GROQ_API_KEY is not set: every call to groq:llama-3.3-70b, groq:llama-3.1-8b will fail (outcome auth)',
    );
  });

  it('when a provider with an unset key has no model, then it is not reported', () => {
    expect(missingKeys(config, {}).map((m) => m.variable)).not.toContain('SPARE_API_KEY');
  });
});
