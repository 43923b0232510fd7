import { describe, expect, it } from 'vitest';
import { AppError } from '../app/app-error.js';
import { MAX_FALLBACKS, MAX_JSON_DEPTH, MODEL_ID_MAX_LENGTH, startInterviewBody } from './schemas.js';
import { parseStartBody } from './start-body.js';
import { parseInput } from './validate.js';

const nested = (levels: number): unknown => (levels === 0 ? 'x' : { a: nested(levels - 1) });
const config = { role: 'Backend engineer', questions: ['Tell me', 'How?'], extra: { a: [1, null, true] } };

// As the route gets them: fresh from JSON.parse.
const bodies: string[] = [
  { primary: 'openai:gpt-4o', config },
  { primary: 'openai:gpt-4o', fallbacks: ['anthropic:claude-sonnet-4'], config: {} },
  { simulationId: 'sim.1_a-b' },
  { simulationId: 'sim 1' },
  { simulationId: 'x'.repeat(129) },
  { simulationId: 7 },
  {},
  { primary: '' },
  { primary: 'x'.repeat(MODEL_ID_MAX_LENGTH) },
  { primary: 'x'.repeat(MODEL_ID_MAX_LENGTH + 1) },
  { primary: null },
  { primary: 'a:b', fallbacks: Array.from({ length: MAX_FALLBACKS }, () => 'a:b') },
  { primary: 'a:b', fallbacks: Array.from({ length: MAX_FALLBACKS + 1 }, () => 'a:b') },
  { primary: 'a:b', fallbacks: ['a:b', ''] },
  { primary: 'a:b', fallbacks: 'a:b' },
  { primary: 'a:b', extra: 1 },
  { primary: 'a:b', config: [] },
  { primary: 'a:b', config: null },
  { primary: 'a:b', config: 'text' },
  { primary: 'a:b', config: nested(MAX_JSON_DEPTH) },
  { primary: 'a:b', config: nested(MAX_JSON_DEPTH + 1) },
  { primary: 'a:b', config: { candidateName: 'Ada \ud800 Lovelace' } },
  { primary: 'a:b', config: { ['k\udc00']: 'v' } },
].map((b) => JSON.stringify(b));
bodies.push(
  '[]',
  'null',
  '"text"',
  '{"primary":"a:b","config":{"__proto__":{"x":1}}}',
  '{"__proto__":{},"primary":"a:b"}',
);

function outcome(parse: () => unknown): { ok: unknown } | { error: unknown } {
  try {
    return { ok: parse() };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { error: { status: err.status, message: err.message, details: err.details } };
  }
}

describe('the start body', () => {
  it.each(bodies)('is accepted or refused as the schema decides, with the same 400: %s', (text) => {
    const ours = outcome(() => parseStartBody(JSON.parse(text)));
    const schema = outcome(() => parseInput(startInterviewBody, JSON.parse(text), 'body'));
    expect(ours).toEqual(schema);
  });

  it('names the field that is wrong', () => {
    expect(() => parseStartBody({ primary: 'a:b', fallbacks: ['a:b', 3] })).toThrow(/fallbacks\[1\]/);
  });
});
