// The last results file of a benchmark, so a run that skips a section can keep its figures.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** benchmarks/results/<name>.json parsed, or null when there is none yet (or it does not parse). */
export function previousResults(name) {
  try {
    return JSON.parse(readFileSync(join(resultsDir, `${name}.json`), 'utf8'));
  } catch {
    return null;
  }
}
