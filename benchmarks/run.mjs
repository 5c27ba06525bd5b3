// Runs one benchmark: `npm run bench -- <name> [args]`. Builds the packages first (benchmarks
// measure the compiled code users run), runs benchmarks/<name>.mjs, and writes its figures with
// the environment to benchmarks/results/<name>.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4));
if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>; name (${JSON.stringify(name)}) must be one of: ${available.join(', ')}`);
  process.exit(2);
}
execFileSync('npx', ['tsc', '-b'], { cwd: join(here, '..'), stdio: 'inherit' });
const bench = await import(pathToFileURL(join(here, `${name}.mjs`)).href);
const started = new Date().toISOString();
const figures = await bench.run(args);
const result = {
  benchmark: name,
  started,
  environment: {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg(),
  },
  ...figures,
};
const dir = join(here, 'results');
if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwrote benchmarks/results/${name}.json`);
