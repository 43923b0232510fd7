import { describe, expect, it } from 'vitest';
import { ConfigError } from './load.js';
import { readSettings } from './settings.js';

const AGENT_TOKEN = { MODELWATCH_AGENT_TOKEN: 'a-shared-secret-of-32-characters' };

describe('readSettings', () => {
  it('when only the agent token is set, then the documented defaults', () => {
    expect(readSettings(AGENT_TOKEN)).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      agentUrl: 'http://127.0.0.1:8000',
      dataDir: 'data',
      configFile: 'config/demo.yaml',
      apiToken: undefined,
      tracing: { serviceName: 'modelwatch-service', exportEnabled: false },
    });
  });

  it.each([
    [{ AGENT_PORT: '9000' }, { agentUrl: 'http://127.0.0.1:9000' }],
    [{ AGENT_URL: 'http://agent:8000/' }, { agentUrl: 'http://agent:8000' }],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' },
      { tracing: { serviceName: 'modelwatch-service', exportEnabled: true } },
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_TRACES_EXPORTER: 'none' },
      { tracing: { serviceName: 'modelwatch-service', exportEnabled: false } },
    ],
    [{ SERVICE_PORT: '' }, { port: 3000 }],
    [{ DATABASE_URL: 'postgresql://mw:pw@db:5432/mw' }, { databaseUrl: 'postgresql://mw:pw@db:5432/mw' }],
  ])('when %j, then %j', (env, expected) => {
    expect(readSettings({ ...AGENT_TOKEN, ...env })).toMatchObject(expected);
  });

  it.each([
    [{ SERVICE_PORT: 'abc' }, 'SERVICE_PORT: Invalid input: expected number, received NaN'],
    [{ SERVICE_PORT: '70000' }, 'SERVICE_PORT: Too big: expected number to be <=65535'],
    [{ MODELWATCH_API_TOKEN: 'short' }, 'MODELWATCH_API_TOKEN: must be at least 16 characters'],
    [{ MODELWATCH_AGENT_TOKEN: 'short' }, 'MODELWATCH_AGENT_TOKEN: must be at least 16 characters'],
    [
      { MODELWATCH_AGENT_TOKEN: undefined },
      'MODELWATCH_AGENT_TOKEN: required: the shared secret the agent requires on every call (the same value as the agent)',
    ],
    // The value may hold a password: the problem names the variable, never repeats the value.
    [{ DATABASE_URL: 'mysql://u:pw-secret@h/db' }, 'DATABASE_URL: must be a postgresql:// URL'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
    ],
  ])('when %j, then start-up names the variable: %s', (env, problem) => {
    let error: unknown;
    try {
      readSettings({ ...AGENT_TOKEN, ...env });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([problem]);
    expect((error as ConfigError).file).toBe('environment');
  });
});
