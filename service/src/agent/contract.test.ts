import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OUTCOMES } from '../domain/health/index.js';
import { outcomeValues } from './contract.gen.js';
import { parseCallResult } from './contract.js';

const answer = {
  outcome: 'success',
  latencyMs: 152.3,
  ttftMs: 81,
  httpStatus: 200,
  usage: { inputTokens: 9, outputTokens: null },
  requestId: 'req_1',
  responseModel: 'gpt-4o',
  errorMessage: null,
};

describe('the agent contract', () => {
  it('when the agent OpenAPI document changes, then the generated service types are regenerated too', () => {
    // Exits 1 (and throws here) when src/agent/contract.gen.ts differs from what the committed document generates.
    expect(() =>
      execFileSync(process.execPath, ['scripts/generate-agent-contract.mjs', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('when the generated file is read, then it comes from the committed agent document', () => {
    const document = JSON.parse(readFileSync('../agent/contract/openapi.json', 'utf8'));
    expect(outcomeValues).toEqual(document.components.schemas.Outcome.enum);
  });

  it("when the domain lists its outcomes, then they are the contract's, in any order", () => {
    expect([...OUTCOMES].sort()).toEqual([...outcomeValues].sort());
  });

  it('when the agent answers within the contract, then the result keeps every field and unreported tokens count 0', () => {
    const parsed = parseCallResult('/v1/probe', answer);
    expect(parsed).toEqual({ ok: true, result: { ...answer, usage: { inputTokens: 9, outputTokens: 0 } } });
  });

  it('when an interview answer lacks its text, then it is outside the contract', () => {
    const parsed = parseCallResult('/v1/interviews', answer);
    expect(parsed).toMatchObject({ ok: false, problems: expect.stringContaining('text') });
    expect(parseCallResult('/v1/interviews', { ...answer, text: 'Hello' }).ok).toBe(true);
  });

  it.each([
    ['an outcome outside the closed set', { outcome: 'exploded' }, 'outcome'],
    ['a negative latency', { latencyMs: -1 }, 'latencyMs'],
    ['a negative time to first chunk', { ttftMs: -5 }, 'ttftMs'],
    ['a missing field', { requestId: undefined }, 'requestId'],
    ['a negative token count', { usage: { inputTokens: -1, outputTokens: 1 } }, 'usage'],
  ])('when the agent answers %s, then the answer is refused naming the field', (_name, change, field) => {
    const parsed = parseCallResult('/v1/probe', { ...answer, ...change });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problems).toContain(field);
  });
});
