import { afterEach, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { type InProcess, setSimModel, startInProcess, testConfigText, useSimulatorAndAgent } from './support/stack.js';
import { waitFor } from './support/wait-for.js';
import { readEvents, type SseReader } from './sse.js';

// GET /v1/events against the real agent and simulator: order, resume, and a reader that never reads.
const { sim, agent } = useSimulatorAndAgent();
let svc: InProcess | undefined;
const readers: SseReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  await svc?.service.stop(1000);
  svc = undefined;
});

function open(path = '/v1/events', headers: Record<string, string> = {}): SseReader {
  const reader = readEvents(`${svc!.url}${path}`, headers);
  readers.push(reader);
  return reader;
}
const probe = (id: string) => json(`${svc!.url}/v1/probes`, { method: 'POST', body: { models: [id] } });
const drain = (id: string, reason: string) =>
  json(`${svc!.url}/v1/models/${id}/drain`, { method: 'POST', body: { reason } });
const undrain = (id: string) => json(`${svc!.url}/v1/models/${id}/undrain`, { method: 'POST', body: {} });
const connected = (r: SseReader) => waitFor('the stream to open', () => r.comments.length > 0);

describe('GET /v1/events', () => {
  it('when a model breaks and a start falls back, then the transition and the fallback arrive in order with rising ids', async () => {
    svc = await startInProcess({ agentUrl: agent().url, configText: testConfigText(sim().port) });
    const stream = open();
    expect(await stream.status).toBe(200);
    await connected(stream);
    await probe('openai:gpt-4o');
    await setSimModel(sim(), 'gpt-4o', { errorRate: 1, status: 500 });
    for (let i = 0; i < 3; i++) await probe('openai:gpt-4o');
    const start = await json(`${svc.url}/v1/interviews`, {
      method: 'POST',
      body: { primary: 'openai:gpt-4o', fallbacks: ['anthropic:claude-sonnet-4'] },
    });
    expect(start.body.usedFallback).toBe(true);

    await waitFor('the fallback event', () => stream.events.some((e) => e.type === 'fallback'));
    const summary = stream.events.map((e) =>
      e.type === 'transition' ? `${e.data.modelId} ${e.data.from}->${e.data.to}` : `${e.type} ${e.data.primary}`,
    );
    expect(summary).toEqual([
      'openai:gpt-4o unknown->healthy',
      'openai:gpt-4o healthy->unhealthy',
      // The fallback's own call is claude's first sample: its verdict changes before the event is written.
      'anthropic:claude-sonnet-4 unknown->healthy',
      'fallback openai:gpt-4o',
    ]);
    const fallback = stream.events[3]!.data;
    expect(fallback).toMatchObject({ id: start.body.fallback.eventId, chosen: 'anthropic:claude-sonnet-4' });
    const ids = stream.events.map((e) => e.id!);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('when a reader resumes with Last-Event-ID while events keep coming, then it gets every one after that id, once', async () => {
    svc = await startInProcess({ agentUrl: agent().url, configText: testConfigText(sim().port) });
    const witness = open();
    await connected(witness);
    // More than one replay page (500), so the reader waits on its socket between pages while events keep coming.
    for (let i = 0; i < 600; i++) await drain('openai:gpt-4o-mini', `before ${i}`);
    await waitFor('600 events', () => witness.events.length >= 600);
    const resumeAfter = witness.events[1]!.id!;

    // Events keep being published while the resumed reader replays the journal and goes live.
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing && i < 400; i++)
        await (i % 2 ? undrain : (id: string) => drain(id, `during ${i}`))('openai:gpt-4o-mini');
    })();
    await waitFor('some live events', () => witness.events.length >= 630);
    const resumed = open('/v1/events', { 'Last-Event-ID': String(resumeAfter) });
    await waitFor('more events after the resume', () => resumed.events.length >= 660);
    publishing = false;
    await publisher;
    const last = witness.events.at(-1)!.id!;
    await waitFor('the resumed reader to catch up', () => resumed.events.at(-1)?.id === last);

    const got = resumed.events.map((e) => e.id);
    const expected = witness.events.map((e) => e.id).filter((id) => id! > resumeAfter);
    expect(got).toEqual(expected);
    expect(expected.length).toBeGreaterThan(660);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => resumeAfter + 1 + i));
  });

  it('when a reader connects with a Last-Event-ID that is not an id, then it gets 400 naming the header', async () => {
    svc = await startInProcess({ agentUrl: agent().url, configText: testConfigText(sim().port) });
    const res = await json(`${svc.url}/v1/events`, { headers: { 'Last-Event-ID': 'abc' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe('Last-Event-ID');
  });

  it('when nothing happens, then heartbeat comments keep the stream alive', async () => {
    svc = await startInProcess({
      agentUrl: agent().url,
      configText: testConfigText(sim().port),
      stream: { heartbeatMs: 100 },
    });
    const stream = open();
    await waitFor('two heartbeats', () => stream.comments.filter((c) => c.startsWith(': heartbeat')).length >= 2);
  });

  it('when one reader never reads, then starts still answer and the other readers get every fallback', async () => {
    svc = await startInProcess({ agentUrl: agent().url, configText: testConfigText(sim().port) });
    const { connect } = await import('node:net');
    const stalled = connect(svc.service.port, '127.0.0.1');
    stalled.write('GET /v1/events HTTP/1.1\r\nhost: localhost\r\n\r\n');
    stalled.pause(); // never reads: the socket's buffers fill
    const reader = open();
    await connected(reader);
    await setSimModel(sim(), 'gpt-4o', { errorRate: 1, status: 500 });
    for (let i = 0; i < 3; i++) await probe('openai:gpt-4o');
    const starts = await Promise.all(
      Array.from({ length: 30 }, () =>
        json(`${svc!.url}/v1/interviews`, { method: 'POST', body: { primary: 'openai:gpt-4o' } }),
      ),
    );
    expect(starts.map((s) => s.status)).toEqual(Array(30).fill(201));
    await waitFor(
      '30 fallbacks on the reading stream',
      () => reader.events.filter((e) => e.type === 'fallback').length === 30,
    );
    stalled.destroy();
  });
});
