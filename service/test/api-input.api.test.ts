import { describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { useServicesOnDeadAgent } from './support/stack.js';

// Bad input, auth and documents: no agent is running (a dead port), which these answers must not need.
const TOKEN = 'test-token-0123456789abcdef';

const dead = useServicesOnDeadAgent(TOKEN);

const post = (path: string, body: string | object, headers: Record<string, string> = {}) =>
  json(`${dead.open.url}${path}`, {
    method: 'POST',
    body: body,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('when input is bad, then a 4xx JSON error names the field', () => {
  it.each<[string, string, string | object, Record<string, string>, number, string, string | RegExp]>([
    ['malformed JSON', '/v1/interviews', '{"primary": ', {}, 400, 'malformed_json', 'body'],
    ['a missing primary', '/v1/interviews', { simulationId: 'x' }, {}, 404, 'unknown_simulation', 'simulationId'],
    ['no primary and no simulation', '/v1/interviews', {}, {}, 400, 'invalid_request', 'primary'],
    ['a wrong type', '/v1/interviews', { primary: 42 }, {}, 400, 'invalid_request', 'primary'],
    ['an unregistered primary', '/v1/interviews', { primary: 'openai:gpt-9' }, {}, 422, 'unknown_model', 'primary'],
    [
      'an unregistered fallback',
      '/v1/interviews',
      { primary: 'openai:gpt-4o', fallbacks: ['openai:gpt-4o-mini', 'x:y'] },
      {},
      422,
      'unknown_model',
      'fallbacks[1]',
    ],
    [
      'an unknown field',
      '/v1/interviews',
      { primary: 'openai:gpt-4o', primry: 'x' },
      {},
      400,
      'invalid_request',
      '(root)',
    ],
    [
      'deep JSON in config',
      '/v1/interviews',
      { primary: 'openai:gpt-4o', config: JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) },
      {},
      400,
      'invalid_request',
      'config',
    ],
    [
      'a bad Idempotency-Key',
      '/v1/interviews',
      { primary: 'openai:gpt-4o' },
      { 'idempotency-key': 'has spaces' },
      400,
      'invalid_request',
      'Idempotency-Key',
    ],
    ['an unregistered probe model', '/v1/probes', { models: ['nope:nope'] }, {}, 422, 'unknown_model', 'models[0]'],
  ])('%s', async (_name, path, body, headers, status, code, field) => {
    const res = await post(path, body, headers);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toContain(typeof field === 'string' ? field : '');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('a body that is not JSON gets 415', async () => {
    const res = await json(`${dead.open.url}/v1/interviews`, {
      method: 'POST',
      body: 'primary=openai:gpt-4o',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(415);
    expect(res.body.error.details.field).toBe('content-type');
  });

  it('a body over 64 KiB gets 413', async () => {
    const res = await post('/v1/interviews', { primary: 'openai:gpt-4o', config: { notes: 'x'.repeat(70_000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('unknown ids get 404 on every read', async () => {
    for (const path of [
      '/v1/health/openai:gpt-9',
      '/v1/health/x/history',
      '/v1/fallbacks/fb_nope',
      '/v1/interviews/iv_nope',
      '/v1/simulations/nope',
      '/v1/nothing',
    ]) {
      const res = await json(`${dead.open.url}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('a cursor this API did not give out is refused, not taken as page 1', async () => {
    for (const cursor of ['garbage!!', 'MA', 'xxxxxxxxxx']) {
      const res = await json(`${dead.open.url}/v1/fallbacks?cursor=${cursor}`);
      expect([cursor, res.status]).toEqual([cursor, 400]);
      expect(res.body.error.details.fields[0].field).toBe('cursor');
    }
  });

  it('bad query parameters name the parameter', async () => {
    const res = await json(`${dead.open.url}/v1/fallbacks?since=yesterday&reason=bored`);
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['reason', 'since']);
  });

  it('a simulation naming an unregistered model is refused and nothing is stored', async () => {
    const res = await json(`${dead.open.url}/v1/simulations/s1`, {
      method: 'PUT',
      body: { primary: 'openai:gpt-4o', fallbacks: ['bad:model'] },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('fallbacks[0]');
    expect((await json(`${dead.open.url}/v1/simulations/s1`)).status).toBe(404);
  });

  it('a flood of unknown model ids adds no metric series', async () => {
    const before = await (await fetch(`${dead.open.url}/metrics`)).text();
    for (let i = 0; i < 30; i++) await post('/v1/interviews', { primary: `flood:model-${i}` });
    const after = await (await fetch(`${dead.open.url}/metrics`)).text();
    const series = (t: string) =>
      t
        .split('\n')
        .filter((l) => l.startsWith('modelwatch_'))
        .map((l) => l.replace(/ [^ ]+$/, ''));
    expect(series(after)).toEqual(series(before));
    expect(after).not.toContain('flood:model');
  });
});

describe('when the agent is down', () => {
  it('then /readyz is 503 and says why', async () => {
    const res = await json(`${dead.open.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.body.reason).toMatch(/agent unavailable: ECONNREFUSED/);
  });

  it('then an interview start answers 503 agent_unavailable at once', async () => {
    const res = await post('/v1/interviews', { primary: 'openai:gpt-4o' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('agent_unavailable');
    const metrics = await (await fetch(`${dead.open.url}/metrics`)).text();
    expect(metrics).toMatch(
      /modelwatch_interview_starts_total\{requested_model="openai:gpt-4o",model="none",outcome="unavailable"\} [1-9]/,
    );
  });
});

describe('when MODELWATCH_API_TOKEN is set', () => {
  it.each([
    ['POST', '/v1/interviews', 401],
    ['POST', '/v1/probes', 401],
    ['PUT', '/v1/simulations/s', 401],
    ['DELETE', '/v1/simulations/s', 401],
    ['GET', '/v1/health', 200],
    ['GET', '/v1/fallbacks', 200],
    ['GET', '/metrics', 200],
    ['GET', '/healthz', 200],
  ])('then %s %s without a token answers %i', async (method, path, status) => {
    const res = await json(`${dead.secured.url}${path}`, {
      method,
      body: method === 'GET' || method === 'DELETE' ? undefined : { primary: 'openai:gpt-4o' },
    });
    expect(res.status).toBe(status);
  });

  it('then a wrong token is refused and the right one is let through to validation', async () => {
    const wrong = await json(`${dead.secured.url}/v1/simulations/s`, {
      method: 'PUT',
      body: { primary: 'x:y' },
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    const right = await json(`${dead.secured.url}/v1/simulations/s`, {
      method: 'PUT',
      body: { primary: 'x:y' },
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(right.status).toBe(422);
  });
});

describe('documents', () => {
  it('/openapi.json is OpenAPI 3.1 and covers every route with its errors', async () => {
    const doc = (await json(`${dead.open.url}/openapi.json`)).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/',
      '/healthz',
      '/metrics',
      '/openapi.json',
      '/readyz',
      '/static/{name}',
      '/status/panel',
      '/v1/admin/reload',
      '/v1/events',
      '/v1/fallbacks',
      '/v1/fallbacks/{id}',
      '/v1/health',
      '/v1/health/{modelId}',
      '/v1/health/{modelId}/history',
      '/v1/interviews',
      '/v1/interviews/{id}',
      '/v1/models',
      '/v1/models/{modelId}',
      '/v1/models/{modelId}/drain',
      '/v1/models/{modelId}/undrain',
      '/v1/probes',
      '/v1/simulations',
      '/v1/simulations/{id}',
    ]);
    const start = doc.paths['/v1/interviews'].post;
    expect(Object.keys(start.responses)).toEqual(expect.arrayContaining(['201', '400', '413', '415', '422', '503']));
    expect(start.requestBody.content['application/json'].schema.properties).toHaveProperty('fallbacks');
  });

  it('/metrics exports every known series from start-up, in both text formats', async () => {
    const text = await (await fetch(`${dead.open.url}/metrics`)).text();
    expect(text).toContain('modelwatch_model_health_state{model="openai:gpt-4o",state="unknown"} 1');
    expect(text).toContain(
      'modelwatch_probes_total{model="anthropic:claude-sonnet-4",provider="anthropic",outcome="timeout"} 0',
    );
    expect(text).toContain(
      'modelwatch_fallbacks_total{primary="openai:gpt-4o",chosen="anthropic:claude-sonnet-4",reason="primary_unhealthy",source="auto"} 0',
    );
    expect(text).toContain(
      'modelwatch_interview_starts_total{requested_model="openai:gpt-4o",model="none",outcome="unavailable"}',
    );
    expect(text).toContain('process_cpu_seconds_total');
    const om = await fetch(`${dead.open.url}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(om.headers.get('content-type')).toContain('application/openmetrics-text');
    expect((await om.text()).trimEnd().endsWith('# EOF')).toBe(true);
    // An OpenMetrics scrape must not change what the next plain-text scrape says.
    const again = await (await fetch(`${dead.open.url}/metrics`)).text();
    expect(again).toContain(
      'modelwatch_probes_total{model="anthropic:claude-sonnet-4",provider="anthropic",outcome="timeout"} 0',
    );
    expect(again).toContain('# TYPE process_cpu_seconds_total counter');
  });
});
