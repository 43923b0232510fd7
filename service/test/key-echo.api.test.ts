import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { type LaunchedProcess } from './support/processes.js';
import { type InProcess, startAgent, startInProcess } from './support/stack.js';

// A provider that echoes the credentials it was sent, encoded, in its 401 error body: the open
// GET /v1/health lastError and the service's logs must carry no form of the key.
const KEY = 'echo-5b1e9c3a7d2f4086b8e1c6a9';
const MODEL = 'echo:gpt-4o';
let provider: Server;
let agent: LaunchedProcess;
let svc: InProcess;

const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(async () => {
  provider = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const sent = auth.replace(/^Bearer /, '');
    const message =
      `Invalid credentials. Header seen (base64): ${b64(auth)}; key spaced: ${[...sent].join(' ')}; ` +
      `hex: ${Buffer.from(sent).toString('hex')}`;
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: 'invalid_api_key' } }));
  });
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
  const port = (provider.address() as { port: number }).port;
  const configText = `
providers:
  echo: { kind: openai, baseUrl: "http://127.0.0.1:${port}/v1", apiKeyEnv: ECHO_API_KEY }
models:
  - { id: "${MODEL}" }
`;
  // The agent calls only the providers of its own copy of the config: the echoing one here.
  const config = join(mkdtempSync(join(tmpdir(), 'modelwatch-echo-')), 'config.yaml');
  writeFileSync(config, configText);
  agent = await startAgent({ simulatorPort: port, env: { ECHO_API_KEY: KEY, CONFIG: config } });
  svc = await startInProcess({ agentUrl: agent.url, configText });
});
afterAll(async () => {
  await svc?.service.stop(1000);
  await agent?.stop();
  provider?.close();
});

/** Letters and digits only, lower-cased: spaced, split or re-cased forms show up here. */
const compact = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
const FORMS = [KEY, b64(`Bearer ${KEY}`).slice(8, 28), Buffer.from(KEY).toString('hex').slice(4, 30)].map(compact);

describe('when a provider echoes the key back encoded in its error', () => {
  it('when the probe fails with that error, then lastError and the logs carry the error but no form of the key', async () => {
    const probe = await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: [MODEL] } });
    expect(probe.body.results[0].outcome).toBe('auth');
    const health = await json(`${svc.url}/v1/health/${MODEL}`);
    const message = String(health.body.lastError.message);
    expect(message).toContain('Invalid credentials');
    for (const text of [message, JSON.stringify(probe.body), svc.logs(), agent.output()])
      for (const form of FORMS) expect(compact(text)).not.toContain(form);
  });
});
