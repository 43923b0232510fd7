import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { type InProcess, startInProcess, testConfigText } from './support/stack.js';

// No read may stall the service: every list answers a bounded page and a cursor, however much is stored.
const COUNT = 160;
const BIG = 'x'.repeat(40_000);
let svc: InProcess;

beforeAll(async () => {
  svc = await startInProcess({ agentUrl: 'http://127.0.0.1:1', configText: testConfigText(1) });
  for (let i = 0; i < COUNT; i++) {
    const put = await json(`${svc.url}/v1/simulations/sim-${String(i).padStart(4, '0')}`, {
      method: 'PUT',
      body: { primary: 'openai:gpt-4o', interview: { role: 'SRE', notes: BIG } },
    });
    expect(put.status).toBe(201);
  }
});
afterAll(() => svc.service.stop(1000));

async function rawGet(path: string): Promise<{ status: number; bytes: number; body: any }> {
  const res = await fetch(`${svc.url}${path}`);
  const text = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
}

describe('when many large simulations are stored', () => {
  it('when the list is asked for, then one bounded page answers with a cursor, and /healthz answers meanwhile', async () => {
    const [page, live] = await Promise.all([rawGet('/v1/simulations?limit=500'), json(`${svc.url}/healthz`)]);
    expect(live.status).toBe(200);
    expect(page.status).toBe(200);
    expect(page.bytes).toBeLessThan(2 * 1024 * 1024);
    expect(page.body.simulations.length).toBeGreaterThan(0);
    expect(page.body.simulations.length).toBeLessThan(COUNT);
    expect(page.body.nextCursor).toEqual(expect.any(String));
  });

  it('when the pages are followed, then every simulation is seen once, in id order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await rawGet(`/v1/simulations?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.simulations.length).toBeLessThanOrEqual(50);
      seen.push(...(page.body.simulations as Array<{ id: string }>).map((s) => s.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toHaveLength(COUNT);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(COUNT);
  });

  it('when a cursor is not one the API gave out, then 400 names the field', async () => {
    const res = await json(`${svc.url}/v1/simulations?cursor=c12`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('cursor');
  });
});
