// How the full model's distance from the truth shrinks with data: the quality section of the train
// benchmark (lib/train-quality.mjs, the same truth, splits, tuning grids and model variants) at
// more rows. `npm run bench -- quality-scaling [--traffic quality|compact] [--rows N[,N...]]`
// (default the quality traffic at 4M rows, about 30 min on two cores; its 1M-row figures are the
// train benchmark's own quality section). `--traffic compact` runs the same section on traffic with
// about 25 times the training clicks per true parameter (lib/train-quality.mjs, COMPACT_TRAFFIC).
// Runs not repeated keep the previous results file's figures, marked with the run they came from.
//
// What it separates: if the gap to the truth were the trainer's (a wrong objective, a solver
// stopping early), more rows would not close it; estimation error shrinks with rows. The truth
// without crosses and the ceiling with the true cross score as a feature split the remaining gap
// into the crosses' share and the rest.
import { previousResults } from './lib/previous-results.mjs';
import { COMPACT_TRAFFIC, QUALITY_TRAFFIC, runQuality } from './lib/train-quality.mjs';

const TRAFFIC = { quality: QUALITY_TRAFFIC, compact: COMPACT_TRAFFIC };
const USAGE = 'usage: npm run bench -- quality-scaling [--traffic quality|compact] [--rows N[,N...]]';

function parseArgs(args) {
  const o = { traffic: 'quality', rows: [4_000_000] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--rows') o.rows = String(args[++i]).split(',').map(Number);
    else if (a === '--traffic') o.traffic = String(args[++i]);
    else throw new Error(`unknown argument ${a}; ${USAGE}`);
  }
  if (TRAFFIC[o.traffic] === undefined) throw new Error(`--traffic (${o.traffic}) must be one of ${Object.keys(TRAFFIC).join(', ')}; ${USAGE}`);
  for (const n of o.rows) if (!Number.isInteger(n) || n < 10_000) throw new Error(`--rows (${n}) must be integers >= 10000`);
  return o;
}

export async function run(args) {
  const o = parseArgs(args);
  const runs = [];
  for (const rows of o.rows) {
    console.log(`quality on the ${o.traffic} traffic at ${rows.toLocaleString('en-US')} rows ...`);
    const t0 = performance.now();
    const q = await runQuality(console.log, { ...TRAFFIC[o.traffic], rows });
    runs.push({
      traffic: o.traffic,
      rows,
      trainRows: Math.floor(Math.floor(rows * 0.8) * 0.8),
      trainClicks: q.data.trainClicks,
      trueParameters: q.data.trueParameters,
      seconds: (performance.now() - t0) / 1000,
      aucTruth: q.aucTruth,
      aucFull: q.aucFull,
      fullMinusTruth: q.fullMinusTruth,
      aucFullWithoutCrosses: q.aucFullWithoutCrosses,
      aucTruthWithoutCrosses: q.truthTerms.withoutCrosses,
      // What the crosses are worth to the truth, and how much of it the fitted crosses recover.
      truthCrossesWorth: q.aucTruth - q.truthTerms.withoutCrosses,
      fittedCrossesWorth: q.aucFull - q.aucFullWithoutCrosses,
      aucFullWithTrueCrosses: q.aucFullWithTrueCrosses,
      gapWithTrueCrosses: q.aucFullWithTrueCrosses - q.aucTruth,
      quality: q,
    });
  }
  const previous = previousResults('quality-scaling');
  for (const kept of previous?.runs ?? []) {
    if (kept.traffic !== o.traffic || !o.rows.includes(kept.rows)) runs.push({ ...kept, fromRun: kept.fromRun ?? previous.started });
  }
  runs.sort((a, b) => a.traffic.localeCompare(b.traffic) || a.rows - b.rows);
  return { traffic: TRAFFIC, runs };
}
