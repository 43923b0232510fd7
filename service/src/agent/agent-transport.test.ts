import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentTransport } from './agent-transport.js';

// A real local HTTP server: each request's path says how to answer it.
let server: Server;
let transport: AgentTransport;
const requestsPerSocket = new WeakMap<object, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const n = (requestsPerSocket.get(req.socket) ?? 0) + 1;
    requestsPerSocket.set(req.socket, n);
    req.resume();
    // /drop-reused: a kept-alive socket the server closes as it is reused (what an idle timeout race looks like).
    if (req.url === '/drop-reused' && n > 1) return void req.socket.destroy();
    if (req.url === '/silent') return; // never answers
    if (req.url === '/method') return void res.end(`${req.method} ${req.headers['content-length'] ?? '-'}`);
    if (req.url === '/stall-body') return void res.writeHead(200).write('{"partial":');
    res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '3' }).end(`{"n":${n}}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  transport = new AgentTransport(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
});
afterAll(async () => {
  transport.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, timeoutMs = 2_000, signal?: AbortSignal) =>
  transport.request({ path, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs, signal });

describe('AgentTransport', () => {
  it('when the agent answers, then status, headers and body are read, and the connection is kept for the next call', async () => {
    const first = await post('/ok');
    expect([first.status, first.header('Retry-After'), await first.text()]).toEqual([200, '3', '{"n":1}']);
    expect(await (await post('/ok')).text()).toBe('{"n":2}');
  });

  it('when a reused connection is closed under the request, then the call is sent once more on a new one', async () => {
    expect((await post('/drop-reused')).status).toBe(200);
    const res = await post('/drop-reused');
    expect(await res.text()).toBe('{"n":1}');
  });

  it('when the agent never answers, then the call fails at its deadline as a TimeoutError', async () => {
    await expect(post('/silent', 100)).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('when the body stalls after the headers, then reading it fails at the deadline too', async () => {
    const res = await post('/stall-body', 150);
    await expect(res.text()).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('when the caller gives up, then the call ends at once as an AbortError', async () => {
    const controller = new AbortController();
    const call = post('/silent', 5_000, controller.signal);
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('when the agent is found down, then every call in flight ends at once, before or after its headers', async () => {
    const waiting = post('/silent', 5_000);
    const streaming = await post('/stall-body', 5_000);
    const body = streaming.text();
    transport.abandonAll('the agent stopped answering its health check');
    await expect(waiting).rejects.toMatchObject({ name: 'AgentDownError' });
    await expect(body).rejects.toMatchObject({ name: 'AgentDownError' });
    expect(await (await post('/ok')).text()).toMatch(/"n":/);
  });

  it('when nothing listens, then the socket error keeps its code', async () => {
    const closed = new AgentTransport('http://127.0.0.1:1');
    await expect(closed.request({ path: '/x', headers: {}, body: '', timeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('when a request has no body, then it is a GET without a length (the health check), else a POST', async () => {
    const get = await transport.request({ path: '/method', headers: {}, timeoutMs: 2_000 });
    expect(await get.text()).toBe('GET -');
    expect(await (await post('/method')).text()).toBe('POST 2');
  });
});
