/** A test reader of GET /v1/events: parses the stream as a browser would and keeps every event. */
export interface ReceivedEvent {
  id: number | null;
  type: string;
  data: any;
}

export interface SseReader {
  events: ReceivedEvent[];
  /** Comment lines (heartbeats) seen so far. */
  comments: string[];
  status: Promise<number>;
  closed: Promise<void>;
  close(): void;
}

export function readEvents(url: string, headers: Record<string, string> = {}): SseReader {
  const controller = new AbortController();
  const events: ReceivedEvent[] = [];
  const comments: string[] = [];
  let resolveStatus: (s: number) => void = () => undefined;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const closed = (async () => {
    try {
      const res = await fetch(url, { headers, signal: controller.signal });
      resolveStatus(res.status);
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id: number | null = null;
          let type = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            else if (line.startsWith('id: ')) id = Number(line.slice(4));
            else if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ id, type, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return { events, comments, status, closed, close: () => controller.abort() };
}
