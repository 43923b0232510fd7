// The floor of a start's CPU on this machine: the least a Node process can do for POST /v1/interviews
// and still make the call. It reads the same JSON body, makes one keep-alive node:http call to the agent's
// /v1/interviews/stream (traceparent and token included, the NDJSON read as service/src/agent/agent-client.ts
// reads it) and answers the result as JSON. No tracing, metrics, logs, store, validation or selection: what
// is left is HTTP in, HTTP out to the agent, its stream back, and the answer. Run by profile_service.py --floor
// (bench/README.md, "Profiles (issue 15)"); the environment is the service's (SERVICE_PORT, AGENT_URL,
// MODELWATCH_AGENT_TOKEN).
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';

const agentUrl = new URL(process.env.AGENT_URL);
const authorization = `Bearer ${process.env.MODELWATCH_AGENT_TOKEN}`;
const pool = new Agent({ keepAlive: true, timeout: 4_000, scheduling: 'lifo' });

function callAgent(start) {
  const interviewId = `iv_${randomUUID()}`;
  const [provider, model] = start.primary.split(':');
  const body = JSON.stringify({
    interviewId,
    modelId: start.primary,
    provider,
    model,
    timeoutMs: 20_000,
    maxTokens: 120,
    interview: start.config,
    deadlineAt: Date.now() + 20_000,
  });
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  return new Promise((resolve, reject) => {
    const req = request({
      host: agentUrl.hostname,
      port: agentUrl.port,
      path: '/v1/interviews/stream',
      method: 'POST',
      agent: pool,
      headers: { 'content-type': 'application/json', authorization, traceparent, 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', reject);
    req.on('response', (res) => resolve(readEvents(res).then((result) => ({ interviewId, ...result }))));
    req.end(body);
  });
}

async function readEvents(res) {
  const decoder = new TextDecoder();
  let buffered = '';
  let result = null;
  for await (const chunk of res) {
    if (result) continue;
    buffered += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      if (event.event === 'result') {
        result = event;
        break;
      }
    }
  }
  if (!result) throw new Error('the stream ended without a result');
  return result;
}

function answer(res, status, value) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(value));
}

const server = createServer((req, res) => {
  if (req.url === '/healthz') return answer(res, 200, { ok: true });
  if (req.method !== 'POST' || req.url !== '/v1/interviews') return answer(res, 404, { error: 'not_found' });
  const parts = [];
  req.on('data', (chunk) => parts.push(chunk));
  req.on('end', () => {
    callAgent(JSON.parse(Buffer.concat(parts).toString('utf8'))).then(
      (result) => answer(res, 201, result),
      (err) => answer(res, 503, { error: String(err) }),
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.SERVICE_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'started', port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
