// How the full model's distance from the truth shrinks with data: the quality section of the train
// benchmark (lib/train-quality.mjs, the same truth, splits, tuning grids and model variants) at
// more rows. `npm run bench -- quality-scaling [--rows N[,N...]]` (default 4000000; about 30 min
// at 4M rows on two cores). The 1M-row figures are the train benchmark's own quality section.
// Row counts not re-run keep the previous results file's figures, marked with the run they came from.
//
// What it separates: if the gap to the truth were the trainer's (a wrong objective, a solver
// stopping early), more rows would not close it; estimation error shrinks with rows. The truth
// without crosses and the ceiling with the true cross score as a feature split the remaining gap
// into the crosses' share and the rest.
import { previousResults } from './lib/previous-results.mjs';
import { QUALITY_TRAFFIC, runQuality } from './lib/train-quality.mjs';

function parseArgs(args) {
  const o = { rows: [4_000_000] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--rows') o.rows = String(args[++i]).split(',').map(Number);
    else throw new Error(`unknown argument ${a}; usage: npm run bench -- quality-scaling [--rows N[,N...]]`);
  }
  for (const n of o.rows) if (!Number.isInteger(n) || n < 10_000) throw new Error(`--rows (${n}) must be integers >= 10000`);
  return o;
}

export async function run(args) {
  const o = parseArgs(args);
  const runs = [];
  for (const rows of o.rows) {
    console.log(`quality at ${rows.toLocaleString('en-US')} rows ...`);
    const t0 = performance.now();
    const q = await runQuality(console.log, { ...QUALITY_TRAFFIC, rows });
    runs.push({
      rows,
      trainRows: Math.floor(Math.floor(rows * 0.8) * 0.8),
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
    if (!o.rows.includes(kept.rows)) runs.push({ ...kept, fromRun: kept.fromRun ?? previous.started });
  }
  runs.sort((a, b) => a.rows - b.rows);
  return { traffic: QUALITY_TRAFFIC, runs };
}
