import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SseClient } from './sse-client.js';
import type { ServerResponse } from 'node:http';

/** A real stream whose far end never reads: every write stays buffered, as on a stalled socket. */
function stalledSocket(): Writable {
  return new Writable({ highWaterMark: 1024, write: () => undefined });
}

const event = (id: number) => ({ id, type: 'fallback' as const, data: { note: 'x'.repeat(200) } });

describe('SseClient', () => {
  it('when the reader never reads, then it is cut off once its backlog passes the limit, and publishing goes on', () => {
    const socket = stalledSocket();
    let dropped = 0;
    const client = new SseClient(
      socket as unknown as ServerResponse,
      { maxBufferedBytes: 4096, heartbeatMs: 60_000 },
      0,
      () => dropped++,
    );
    client.goLive();
    for (let id = 1; id <= 100; id++) client.deliver(event(id));
    expect(dropped).toBe(1);
    expect(client.isClosed()).toBe(true);
    expect(socket.destroyed).toBe(true);
    // Bounded: what stayed queued is about the limit, not the hundred events.
    expect(socket.writableLength).toBeLessThan(4096 + 300);
  });

  it('when live events arrive during a replay, then they are held and sent after it, skipping those the replay sent', () => {
    const written: string[] = [];
    const socket = new Writable({
      write(chunk: Buffer, _enc, done) {
        written.push(chunk.toString());
        done();
      },
    });
    const client = new SseClient(
      socket as unknown as ServerResponse,
      { maxBufferedBytes: 1 << 20, heartbeatMs: 60_000 },
      10,
      () => undefined,
    );
    client.deliver(event(12)); // live, during the replay
    client.deliver(event(13));
    client.send(event(11)); // the replay
    client.send(event(12));
    client.goLive();
    client.deliver(event(14));
    const ids = written.join('').match(/^id: \d+$/gm);
    expect(ids).toEqual(['id: 11', 'id: 12', 'id: 13', 'id: 14']);
  });
});
