// The same pipeline configuration drives training and serving: for the same raw inputs, the
// vectors the scorer gets from assemble(...).get() equal, index for index and bit for bit, the
// rows the trainer reads back from the file the training path writes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMESPACES, FeatureHasher, SeededRng, type FeatureNamespace, type SparseVector } from '@laserkit/core';
import { FeaturePipeline, MapFeatureProvider, loadPipelineConfig, writeTrainingFile, type PipelineConfig, type RawTrainingRecord } from '@laserkit/features';
import { readTrainingSet, type TrainingSet } from '@laserkit/trainer';

const examplePath = new URL('../packages/features/examples/laser-pipeline.json', import.meta.url).pathname;
const ROWS = 300;

/** Raw logged impressions with fractional ages, bids and profile counts (values float32 cannot hold exactly). */
function rawRecords(seed: number): { records: RawTrainingRecord[]; profiles: Record<string, Record<string, number>> } {
  const rng = new SeededRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)] as T;
  const profiles: Record<string, Record<string, number>> = {};
  for (let u = 0; u < 40; u++) {
    // Some users have no stored profile at all.
    if (u % 7 === 3) continue;
    profiles[`u${u}`] = { clicks7d: rng.nextInt(20), visits30d: 100 * rng.nextFloat(), tenureDays: rng.nextInt(2000) };
  }
  const records: RawTrainingRecord[] = [];
  for (let i = 0; i < ROWS; i++) {
    const interests = ['golf', 'tech', 'travel', 'food'].filter(() => rng.nextBernoulli(0.3));
    records.push({
      label: rng.nextBernoulli(0.2) ? 1 : 0,
      user: { id: `u${rng.nextInt(40)}`, age: 15 + 60 * rng.nextFloat(), country: pick(['US', 'fr', 'De', 'us']), gender: pick(['f', 'm', null]), interests },
      ad: { campaign: `c${rng.nextInt(12)}`, industry: pick(['travel', 'retail', 'finance']), format: pick(['banner', 'video']), bidCents: 1000 * rng.nextFloat() },
      context: { page: pick(['home', 'feed', 'profile']), hour: rng.nextInt(24), device: pick(['mobile', 'desktop']) },
      entities: { campaign: `c${rng.nextInt(12)}` },
    });
  }
  return { records, profiles };
}

/** Row r of one namespace of a training set, as a (dimension, indices, values) triple. */
function rowOf(set: TrainingSet, ns: FeatureNamespace, r: number): { dimension: number; indices: number[]; values: number[] } {
  const m = set.features[ns];
  const start = m.rowPtr[r] as number;
  const end = m.rowPtr[r + 1] as number;
  const indices = Array.from(m.colIdx.subarray(start, end));
  const values = m.values === null ? indices.map(() => 1) : Array.from(m.values.subarray(start, end));
  return { dimension: m.cols, indices, values };
}

const plain = (v: SparseVector): { dimension: number; indices: number[]; values: number[] } => ({ dimension: v.dimension, indices: Array.from(v.indices), values: Array.from(v.values) });

describe('features: training and serving give identical vectors', () => {
  let dir = '';
  let config: PipelineConfig;
  const { records, profiles } = rawRecords(2014);
  const space = new FeatureHasher({ seed: 7, bits: { user: 16, ad: 12, context: 10 } });
  // Two pipelines from the same file: one for the training job, one for the serving process.
  const build = (namespaces: readonly string[] = ['user', 'ad', 'context']): FeaturePipeline =>
    FeaturePipeline.fromConfig({ ...config, assemblers: config.assemblers.filter((a) => namespaces.includes(a.namespace)) }, { space, providers: { userProfiles: new MapFeatureProvider('profiles', profiles) } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'laserkit-features-parity-'));
    config = await loadPipelineConfig(examplePath);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('JSON Lines → readTrainingSet rows equal assemble(...).get() in every namespace', async () => {
    const training = build();
    const serving = build();
    const file = join(dir, 'train.jsonl');
    const written = await writeTrainingFile(training, records, file);
    expect(written.rows).toBe(ROWS);
    const { set, skipped } = await readTrainingSet(file, { featureSpace: written.featureSpace });
    expect(skipped.count).toBe(0);
    expect(set.rows).toBe(ROWS);
    let nonUnitValues = 0;
    for (let r = 0; r < ROWS; r++) {
      const record = records[r] as RawTrainingRecord;
      expect(set.labels[r]).toBe(record.label);
      for (const ns of FEATURE_NAMESPACES) {
        const served = plain(await serving.assemble(ns, record[ns] ?? {}).get());
        const trained = rowOf(set, ns, r);
        expect(trained).toEqual(served);
        nonUnitValues += served.values.filter((v) => v !== 1).length;
      }
      const campaign = set.entities.get('campaign');
      expect(campaign?.ids[campaign.codes[r] as number]).toBe(record.entities?.campaign);
    }
    // The comparison covers real-valued features (log1p of profile counts), not only one-hot ones.
    expect(nonUnitValues).toBeGreaterThan(ROWS / 2);
  });

  it('svmlight (one namespace) → readTrainingSet rows equal the served user vectors', async () => {
    const file = join(dir, 'train-user.svm');
    // svmlight holds one namespace: a pipeline that assembles only the user features.
    await writeTrainingFile(build(['user']), records, file, { format: 'svmlight', svmlightNamespace: 'user' });
    const { set } = await readTrainingSet(file, { format: 'svmlight', svmlightNamespace: 'user', dimensions: { user: space.dimension('user') } });
    const serving = build(['user']);
    for (let r = 0; r < ROWS; r++) {
      const record = records[r] as RawTrainingRecord;
      expect(rowOf(set, 'user', r)).toEqual(plain(await serving.assemble('user', record.user ?? {}).get()));
    }
  });
});
