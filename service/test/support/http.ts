// Requests for tests: JSON in and out, the body parsed when it is JSON and kept as text otherwise.

export async function json(
  url: string,
  init: Omit<RequestInit, 'body'> & { body?: unknown } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const body = init.body === undefined || typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  const headers = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(init.headers as Record<string, string> | undefined),
  };
  const res = await fetch(url, { ...init, body, headers });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: the test sees the text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** The value of one series of a service's /metrics, e.g. `name{label="x"}`; null when it is absent. */
export async function metricValue(baseUrl: string, series: string): Promise<number | null> {
  const text = (await json(`${baseUrl}/metrics`)).body as string;
  const found = text.split('\n').find((l) => l.startsWith(`${series} `));
  return found === undefined ? null : Number(found.split(' ')[1]);
}

/** A request whose settling the test can look at without waiting for it (is it still held?). */
export function tracked<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  return { promise: p, settled: () => done };
}

export interface Answer {
  sentAt: number;
  ms: number;
  status: number | 'no answer';
  body: any;
  headers?: Headers;
}

/** One interview start, timed; a start that gets no answer within `limitMs` is recorded, not thrown. */
export async function timedStart(url: string, body: object, limitMs: number): Promise<Answer> {
  const sentAt = Date.now();
  try {
    const res = await fetch(`${url}/v1/interviews`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(limitMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep the text */
    }
    return { sentAt, ms: Date.now() - sentAt, status: res.status, body: parsed, headers: res.headers };
  } catch (err) {
    return { sentAt, ms: Date.now() - sentAt, status: 'no answer', body: String(err) };
  }
}
