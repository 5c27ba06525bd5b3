// Trainer → scorer parity on a golden fixture (datasets/golden/scoring, made by
// make-scoring-golden.mjs): a model trained by the trainer, and the trainer's own predictions for
// every (request, candidate) pair. The scorer, loading the artifact as written, must reproduce them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAds, readScoringRequests } from '@laserkit/cli';
import { loadModel } from '@laserkit/model';
import { Scorer } from '@laserkit/scorer';

const dir = join(import.meta.dirname, '..', 'datasets', 'golden', 'scoring');

describe('golden: the scorer reproduces the trainer', () => {
  it('every response equals the trainer\'s prediction within 1e-9', async () => {
    const model = await loadModel(join(dir, 'model.avro'));
    expect(model.randomEffects.length).toBeGreaterThan(0);
    expect(model.termMeans.length).toBeGreaterThan(0);
    const ads = await readAds(join(dir, 'ads.jsonl'), model);
    const requests = await readScoringRequests(join(dir, 'requests.jsonl'), model);
    const expected = readFileSync(join(dir, 'expected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; responses: Record<string, number> });
    expect(requests).toHaveLength(expected.length);
    const scorer = new Scorer({ model, ads });
    let compared = 0;
    for (const [i, r] of requests.entries()) {
      const res = await scorer.rank({ candidates: r.candidates, ...(r.user ? { user: r.user } : {}), ...(r.context ? { context: r.context } : {}) });
      expect(res.substituted).toEqual([]);
      const want = expected[i]?.responses ?? {};
      for (const a of res.ranked) {
        expect(Math.abs(a.response - (want[a.adId] as number))).toBeLessThanOrEqual(1e-9);
        compared++;
      }
    }
    expect(compared).toBe(requests.length * ads.length);
  });
});
