import { describe, expect, it } from 'vitest';
import { freePort, launch } from './processes.js';
import { waitFor } from './wait-for.js';

// A server that also leaves a grandchild running, as a wrapper script or a worker pool would.
const SERVER_WITH_GRANDCHILD = `
const { spawn } = require('node:child_process');
const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('grandchild ' + grandchild.pid);
require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
`;

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('launch', () => {
  it('when the process is stopped, then its whole process group is gone, grandchildren included', async () => {
    const port = await freePort();
    const launched = await launch({
      command: process.execPath,
      args: ['-e', SERVER_WITH_GRANDCHILD],
      env: { PORT: String(port) },
      port,
      readyPath: '/',
    });
    const line = await waitFor('the grandchild pid', () => /grandchild (\d+)/.exec(launched.output()));
    const grandchild = Number(line[1]);
    expect(isRunning(grandchild)).toBe(true);

    await launched.stop('SIGTERM');

    await waitFor('the grandchild to be gone', () => !isRunning(grandchild), 5_000);
  });

  it('when the process exits before it is ready, then launch rejects with its exit code and output', async () => {
    const port = await freePort();
    const failed = await launch({
      command: process.execPath,
      args: ['-e', 'console.error("bad setting: PORT"); process.exit(2)'],
      port,
    }).catch((err: Error) => err);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/^exited 2: bad setting: PORT/);
  });

  it('when the process is never ready, then launch gives up at the deadline, naming what it waited for', async () => {
    const port = await freePort();
    const failed = await launch({
      command: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)'],
      port,
      readyTimeoutMs: 500,
    }).catch((err: Error) => err);
    expect((failed as Error).message).toMatch(/^timed out after 500 ms waiting for /);
  });
});
