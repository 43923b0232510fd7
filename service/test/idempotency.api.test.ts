import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { type InProcess, startInProcess, testConfigText, useSimulatorAndAgent } from './support/stack.js';

// An Idempotency-Key is bound to the request it first came with, as payment APIs do: the same
// request replays the first interview, a different or invalid one is refused with 422.
const { sim, agent } = useSimulatorAndAgent();
let svc: InProcess;
const BODY = { primary: 'openai:gpt-4o', config: { role: 'SRE', candidate: 'Ada' } };

beforeAll(async () => {
  svc = await startInProcess({ agentUrl: agent().url, configText: testConfigText(sim().port) });
});
afterAll(() => svc.service.stop(1000));

const start = (body: unknown, key: string) =>
  json(`${svc.url}/v1/interviews`, { method: 'POST', body, headers: { 'Idempotency-Key': key } });

describe('when an Idempotency-Key is reused', () => {
  it('when the same request comes again, with its keys in another order, then the first interview is replayed', async () => {
    const first = await start(BODY, 'same-1');
    expect(first.status).toBe(201);
    const again = await start({ config: { candidate: 'Ada', role: 'SRE' }, primary: 'openai:gpt-4o' }, 'same-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.interviewId).toBe(first.body.interviewId);
  });

  it.each([
    ['a different primary', 'diff-1', { ...BODY, primary: 'anthropic:claude-sonnet-4' }],
    ['a different config', 'diff-2', { ...BODY, config: { role: 'SRE', candidate: 'Grace' } }],
    ['a body that names no model', 'diff-3', {}],
    ['a model that is not registered', 'diff-4', { primary: 'openai:nope' }],
  ])('when it comes with %s, then 422 names the key and nothing is started', async (_name, key, body) => {
    const first = await start(BODY, key);
    expect(first.status).toBe(201);
    const reused = await start(body, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(reused.body.error.details.field).toBe('Idempotency-Key');
  });

  it('when two different requests with one key are in flight together, then one starts and the other gets 422', async () => {
    const [a, b] = await Promise.all([
      start(BODY, 'race-1'),
      start({ ...BODY, primary: 'openai:gpt-4o-mini' }, 'race-1'),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
  });
});
