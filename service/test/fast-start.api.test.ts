import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { spans, useServicesOnDeadAgent, type InProcess } from './support/stack.js';

// POST /v1/interviews is served without Express when it plainly can be (src/http/fast-start.ts); a query
// string sends the same request through Express. Both must answer alike. No agent runs (a dead port):
// everything compared here is decided before the agent, or is the agent being unreachable.
const TOKEN = 'test-token-0123456789abcdef';

const dead = useServicesOnDeadAgent(TOKEN);

async function answer(url: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    retryAfter: res.headers.get('retry-after'),
    authenticate: res.headers.get('www-authenticate'),
    body: text ? (JSON.parse(text) as unknown) : null,
  };
}

/** The answer on the fast path and through Express, for the same request. */
async function bothWays(on: InProcess, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) {
  const fast = await answer(`${on.url}/v1/interviews`, body, headers);
  const express = await answer(`${on.url}/v1/interviews?via=express`, body, headers);
  return { fast, express };
}

const utf8 = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s);
const registered = 'openai:gpt-4o';

describe('a start served without Express answers as Express does', () => {
  it.each<[string, string | Uint8Array<ArrayBuffer>, number]>([
    ['malformed JSON', '{"primary": ', 400],
    ['a JSON string at the top', '"openai:gpt-4o"', 400],
    ['white space only', '   ', 400],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 400],
    ['an unknown field', JSON.stringify({ primary: registered, primry: 'x' }), 400],
    ['a wrong type', JSON.stringify({ primary: 42 }), 400],
    ['no primary', '{}', 400],
    ['an unregistered primary', JSON.stringify({ primary: 'openai:gpt-9' }), 422],
    ['a lone surrogate in config', JSON.stringify({ primary: registered, config: { name: 'a\ud800b' } }), 400],
    [
      'a byte-order mark, then a good body (the agent is down)',
      utf8(`\ufeff${JSON.stringify({ primary: registered })}`),
      503,
    ],
    ['a good body (the agent is down)', JSON.stringify({ primary: registered }), 503],
  ])('%s', async (_name, body, status) => {
    const { fast, express } = await bothWays(dead.open, body);
    expect(fast.status).toBe(status);
    expect(fast).toEqual(express);
  });

  it('with the token required: the same 401 without it, the same answer with it', async () => {
    const body = JSON.stringify({ primary: registered });
    const refused = await bothWays(dead.secured, body, { authorization: 'Bearer wrong' });
    expect(refused.fast.status).toBe(401);
    expect(refused.fast).toEqual(refused.express);
    const allowed = await bothWays(dead.secured, body, { authorization: `bearer ${TOKEN}` });
    expect(allowed.fast.status).toBe(503);
    expect(allowed.fast).toEqual(allowed.express);
  });

  it('a content type with its charset in capitals is taken, and one Express refuses is refused alike', async () => {
    const body = JSON.stringify({ primary: 42 });
    const upper = await bothWays(dead.open, body, { 'content-type': 'application/json; charset=UTF-8' });
    expect(upper.fast.status).toBe(400);
    expect(upper.fast).toEqual(upper.express);
    const latin = await bothWays(dead.open, body, { 'content-type': 'application/json; charset=latin1' });
    expect(latin.fast.status).toBe(415);
    expect(latin.fast).toEqual(latin.express);
  });

  it("keeps the start's trace: one SERVER span continuing the caller's, its route, status, and the spans under it", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await answer(`${dead.open.url}/v1/interviews`, JSON.stringify({ primary: registered }), {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(res.status).toBe(503);
    const trace = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const server = trace.find((s) => s.kind === SpanKind.SERVER);
    expect(server).toMatchObject({
      name: 'POST /v1/interviews',
      attributes: {
        'http.request.method': 'POST',
        'url.path': '/v1/interviews',
        'http.route': '/v1/interviews',
        'http.response.status_code': 503,
      },
      status: { code: SpanStatusCode.ERROR },
    });
    expect(server!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    const children = trace.filter((s) => s.parentSpanContext?.spanId === server!.spanContext().spanId);
    expect(children.map((s) => s.name).sort()).toEqual([`attempt ${registered}`, 'select model']);
  });
});
