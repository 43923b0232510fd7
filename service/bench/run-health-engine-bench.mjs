// Compiles the health-engine benchmark with tsc into a temporary directory and runs it with --expose-gc
// (Node 20 cannot run TypeScript directly). Usage, from service/: node bench/run-health-engine-bench.mjs [out.json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const serviceDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outPath = resolve(process.argv[2] ?? join(serviceDir, '..', 'bench', 'results', 'health-engine.json'));
const buildDir = mkdtempSync(join(tmpdir(), 'modelwatch-health-bench-'));
try {
  const tsc = join(serviceDir, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(serviceDir, 'bench', 'tsconfig.json'), '--outDir', buildDir], {
    stdio: 'inherit',
  });
  // The compiled files are ESM; outside service/ no package.json says so.
  writeFileSync(join(buildDir, 'package.json'), '{"type":"module"}\n');
  execFileSync(process.execPath, ['--expose-gc', join(buildDir, 'bench', 'health-engine.bench.js'), outPath], {
    stdio: 'inherit',
    cwd: serviceDir,
  });
} finally {
  rmSync(buildDir, { recursive: true, force: true });
}
