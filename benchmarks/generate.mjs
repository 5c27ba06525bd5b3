// Generation speed of LASER-shaped traffic: 1M rows written to the documented text format.
// Goal (foundation issue): 1M rows in under 30 s on these machines.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTraffic, writeTraffic } from '@laserkit/datasets';

export async function run(args) {
  const rows = Number(args[0] ?? 1_000_000);
  const repeats = 3;
  const dir = mkdtempSync(join(tmpdir(), 'laserkit-bench-generate-'));
  try {
    // Rows alone (the streaming API), then rows written to a file, each timed `repeats` times.
    const streamSeconds = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      let clicks = 0;
      for (const row of createTraffic({ rows, seed: 1 }).rows()) clicks += row.label;
      streamSeconds.push((performance.now() - t0) / 1000);
      if (clicks === 0) throw new Error('no clicks generated');
    }
    const fileSeconds = [];
    const digests = [];
    let summary;
    for (let r = 0; r < repeats; r++) {
      const path = join(dir, `traffic-${r}.tsv`);
      const t0 = performance.now();
      summary = writeTraffic({ rows, seed: 1 }, { path });
      fileSeconds.push((performance.now() - t0) / 1000);
      digests.push(createHash('sha256').update(readFileSync(path)).digest('hex'));
      rmSync(path);
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const figures = {
      rows,
      goalSeconds: 30,
      streamSecondsMedian: median(streamSeconds),
      fileSecondsMedian: median(fileSeconds),
      fileSeconds,
      rowsPerSecond: rows / median(fileSeconds),
      bytes: summary.bytes,
      identicalBytesAcrossRuns: digests.every((d) => d === digests[0]),
      sha256: digests[0],
      clickRate: summary.ctr,
      meanActiveFeatures: summary.meanActiveFeatures,
    };
    console.log(`generate ${rows.toLocaleString('en-US')} rows: stream ${figures.streamSecondsMedian.toFixed(2)} s, to file ${figures.fileSecondsMedian.toFixed(2)} s (goal < ${figures.goalSeconds} s), ${(figures.bytes / 1e6).toFixed(0)} MB, identical bytes across runs: ${figures.identicalBytesAcrossRuns}`);
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
