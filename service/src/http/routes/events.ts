import { Router, type Request } from 'express';
import { AppError } from '../../app/app-error.js';
import type { EventHub } from '../../app/event-hub.js';
import type { ApiContext } from '../context.js';
import { RECONNECT_MS, SseClient } from '../event-stream/sse-client.js';

const REPLAY_PAGE = 500;
const EVENT_ID = /^(0|[1-9][0-9]{0,14})$/;

/** Where to resume: the `Last-Event-ID` header (browsers send it on reconnect) or `?lastEventId=`. */
function resumeFrom(req: Request): number | null {
  const header = req.get('last-event-id');
  const query = typeof req.query.lastEventId === 'string' ? req.query.lastEventId : undefined;
  const raw = header ?? query;
  if (raw === undefined || raw === '') return null;
  if (!EVENT_ID.test(raw.trim()))
    throw new AppError(400, 'invalid_request', 'Last-Event-ID: must be an event id this stream gave out', {
      field: header !== undefined ? 'Last-Event-ID' : 'lastEventId',
    });
  return Number(raw.trim());
}

/** Replays the journal after `afterId` page by page, waiting for the socket between pages. */
async function replay(hub: EventHub, client: SseClient, afterId: number): Promise<void> {
  const oldest = hub.oldestId();
  let cursor = afterId;
  if (oldest !== null && afterId < oldest - 1) {
    // Older events than the journal keeps were asked for: say so, then send what is kept.
    client.write(`event: gap\ndata: ${JSON.stringify({ lastEventId: afterId, oldestKept: oldest })}\n\n`);
    cursor = oldest - 1;
  }
  for (;;) {
    const page = hub.replay(cursor, REPLAY_PAGE);
    for (const event of page) client.send(event);
    const last = page.at(-1);
    // The last page and going live happen in one tick: nothing can be published in between.
    if (page.length < REPLAY_PAGE || !last || last.id === null || client.isClosed()) return;
    cursor = last.id;
    // Between pages: let the socket take what was queued, and let other requests (starts) run, so a
    // long replay never holds the event loop. Live events published meanwhile are held by the client.
    await client.drained();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function eventRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/v1/events', async (req, res) => {
    const from = resumeFrom(req);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const start = from ?? ctx.events.lastId();
    const client = new SseClient(res, ctx.stream.limits, start, (bytes) => {
      ctx.stream.onDrop();
      ctx.logger.warn(
        { event: 'event_client_dropped', bufferedBytes: bytes, limit: ctx.stream.limits.maxBufferedBytes },
        'an event-stream client fell too far behind and was disconnected',
      );
    });
    const unsubscribe = ctx.events.subscribe(client);
    ctx.stream.onConnect(1);
    res.once('close', () => {
      unsubscribe();
      ctx.stream.onConnect(-1);
    });
    client.write(`retry: ${RECONNECT_MS}\n: connected; events after id ${start}\n\n`);
    if (from !== null) await replay(ctx.events, client, from);
    client.goLive();
  });
  return router;
}
