// Entry point. Nothing but the SIGHUP gate is loaded before it is installed (static imports load first,
// and the service's modules take a noticeable time to load): the rest comes in by a dynamic import.
import { HangupGate } from './hangup-gate.js';

const hangups = new HangupGate();
const { runService } = await import('./run-service.js');
runService(hangups).catch((err: unknown) => {
  process.stderr.write(`modelwatch: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
