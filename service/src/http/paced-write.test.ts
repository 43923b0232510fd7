import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { writePaced } from './paced-write.js';

const CHUNK = 'x'.repeat(64 * 1024);
const TOTAL_CHUNKS = 512; // 32 MB: more than the loopback socket's buffers hold

/**
 * A real server whose one reply is TOTAL_CHUNKS chunks written with `writePaced`, waiting whenever it says so,
 * and a raw reader of it that starts paused (a scraper that takes nothing until `reader.resume()`).
 */
async function pacedReply(stallMs: number) {
  const state = { waits: 0, waitingSince: 0, outcome: Promise.resolve('not started') };
  const server: Server = createServer((_req, res: ServerResponse) => {
    state.outcome = (async () => {
      for (let i = 0; i < TOTAL_CHUNKS; i++) {
        const wait = writePaced(res, CHUNK, stallMs);
        if (!wait) continue;
        state.waits += 1;
        state.waitingSince = Date.now();
        try {
          await wait;
        } catch (err) {
          return (err as Error).message;
        }
        state.waitingSince = 0;
      }
      res.end();
      return 'all written';
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reader: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  reader.pause();
  reader.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
  const stuckFor = (ms: number): boolean => state.waitingSince > 0 && Date.now() - state.waitingSince >= ms;
  return { server, reader, state, stuckFor };
}

let opened: Array<{ server: Server; reader: Socket }> = [];
afterEach(async () => {
  for (const { server, reader } of opened) {
    reader.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  opened = [];
});

describe('a streamed reply (writePaced)', () => {
  it('when the reader is slower than the writer, then the writer waits for it and the whole reply gets through', async () => {
    const reply = await pacedReply(60_000);
    opened.push(reply);
    await expect.poll(() => reply.stuckFor(100), { timeout: 10_000 }).toBe(true);
    let received = 0;
    reply.reader.on('data', (b: Buffer) => (received += b.length));
    reply.reader.resume();
    await expect(reply.state.outcome).resolves.toBe('all written');
    await expect.poll(() => received, { timeout: 10_000 }).toBeGreaterThan(TOTAL_CHUNKS * CHUNK.length);
    expect(reply.state.waits).toBeGreaterThan(0);
  });

  it('when the reader takes nothing for the stall limit, then the reply is cut and the writer told why', async () => {
    const reply = await pacedReply(300);
    opened.push(reply);
    await expect.poll(() => reply.state.waits, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect(reply.state.outcome).resolves.toBe('the reader took nothing for 300 ms');
    reply.reader.resume(); // what was sent can still be read; then the connection ends
    await expect.poll(() => reply.reader.readableEnded || reply.reader.destroyed, { timeout: 10_000 }).toBe(true);
  });

  it('when the reader goes away while the writer waits, then the writer is told at once', async () => {
    const reply = await pacedReply(60_000);
    opened.push(reply);
    await expect.poll(() => reply.stuckFor(100), { timeout: 10_000 }).toBe(true);
    reply.reader.destroy();
    await expect(reply.state.outcome).resolves.toBe('the reader went away');
  });
});
