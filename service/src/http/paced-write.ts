import type { ServerResponse } from 'node:http';

/**
 * How long a streamed reply (the /metrics scrape) waits for a reader that takes nothing: Prometheus gives up
 * on a scrape after its scrape_timeout (10 s by default, 4 s in prometheus/prometheus.yml), so a reader that
 * has not taken a chunk for this long is gone, and cutting it frees the scrapes queued behind it.
 */
export const STALLED_READER_MS = 10_000;

/**
 * Writes a chunk of a streamed reply. When the socket is full, a promise of its drain: the writer waits, so its
 * chunks do not pile up in memory. The promise rejects (and the reply is cut) if the reader goes away, or
 * takes nothing for `stallMs`.
 */
export function writePaced(res: ServerResponse, chunk: string, stallMs = STALLED_READER_MS): Promise<void> | undefined {
  if (res.destroyed) return Promise.reject(new Error('the reader went away'));
  if (res.write(chunk)) return undefined;
  return new Promise((resolve, reject) => {
    const settle = (error: Error | null): void => {
      clearTimeout(timer);
      res.off('drain', drained).off('close', closed);
      if (!error) return resolve();
      res.destroy();
      reject(error);
    };
    const drained = (): void => settle(null);
    const closed = (): void => settle(new Error('the reader went away'));
    const timer = setTimeout(() => settle(new Error(`the reader took nothing for ${stallMs} ms`)), stallMs);
    res.on('drain', drained).on('close', closed);
  });
}
