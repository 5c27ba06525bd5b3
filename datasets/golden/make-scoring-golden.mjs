// Regenerates datasets/golden/scoring: a model trained by the trainer on generated traffic, the
// ads and requests of a scoring file, and the trainer's own predictions for every (request,
// candidate) pair. The scorer must reproduce them (test/scoring-golden.test.ts).
// Run after `npm run build`: node datasets/golden/make-scoring-golden.mjs
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTraffic } from '@laserkit/datasets';
import { predictSet, readTrainingSet, runTrainJob, LASER_PER_CAMPAIGN_EFFECT } from '@laserkit/trainer';
import { writeScoringFilesFromTraffic } from '@laserkit/cli';

const out = join(dirname(fileURLToPath(import.meta.url)), 'scoring');
const tmp = mkdtempSync(join(tmpdir(), 'laserkit-golden-'));
try {
  const traffic = join(tmp, 'traffic.tsv');
  const options = { rows: 30_000, seed: 17, users: 3_000, campaigns: 25, userDimension: 300, adDimension: 60, contextFields: [6, 4, 3] };
  writeTraffic(options, { path: traffic });
  const result = await runTrainJob(traffic, { modelId: 'golden-scoring', fixed: { main: ['user', 'ad', 'context'] }, randomEffects: [LASER_PER_CAMPAIGN_EFFECT], priorVariances: { cold: 0.03, bias: 0.3, coefficients: 0.03 }, validationFraction: 0.2, threads: 1 }, { out: join(out, 'model.avro') });
  const rows = await writeScoringFilesFromTraffic(traffic, join(out, 'ads.jsonl'), join(out, 'requests.jsonl'), 40);
  // Every (request, candidate) pair as a training-format row, predicted by the trainer.
  const ads = readFileSync(join(out, 'ads.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const named = (indices) => Object.fromEntries(Array.from(indices, (i) => [String(i), 1]));
  const pairs = [];
  for (const r of rows) for (const ad of ads) pairs.push(JSON.stringify({ label: 0, user: named(r.userFeatures), ad: named(ad.features), context: named(r.contextFeatures), entities: { campaign: ad.entities.campaign, user: String(r.user) } }));
  const pairsFile = join(tmp, 'pairs.jsonl');
  writeFileSync(pairsFile, pairs.join('\n') + '\n');
  const { set } = await readTrainingSet(pairsFile, { format: 'jsonl', featureSpace: { kind: 'indexed', dimensions: result.model.dimensions } });
  const p = predictSet(result.model, set);
  const expected = rows.map((_, i) => JSON.stringify({ id: `r${i}`, responses: Object.fromEntries(ads.map((ad, j) => [ad.id, p[i * ads.length + j]])) }));
  writeFileSync(join(out, 'expected.jsonl'), expected.join('\n') + '\n');
  console.log(`wrote ${out}: ${rows.length} requests × ${ads.length} ads`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
