import { describe, expect, it } from 'vitest';
import { FeatureHasher, FEATURE_NAMESPACES } from '@laserkit/core';
import { loadPipelineConfig } from '../src/config.js';
import { FeaturePipeline } from '../src/pipeline.js';
import { MapFeatureProvider } from '../src/providers.js';

const examplePath = new URL('../examples/laser-pipeline.json', import.meta.url).pathname;

describe('examples/laser-pipeline.json', () => {
  it('builds LASER-style user, ad and context features through every transformer kind', async () => {
    const config = await loadPipelineConfig(examplePath);
    const profiles = new MapFeatureProvider('profiles', { u42: { clicks7d: 3, visits30d: 10, tenureDays: 400 } });
    const pipeline = FeaturePipeline.fromConfig(config, { space: new FeatureHasher({ bits: 18 }), providers: { userProfiles: profiles } });
    expect(pipeline.namespaces).toEqual(FEATURE_NAMESPACES);

    const user = Object.fromEntries(await pipeline.namedFeatures('user', { id: 'u42', age: 31, country: 'US', gender: 'f', interests: ['golf', 'tech'] }));
    expect(user).toEqual({
      'age[25,35)': 1,
      'country=us': 1,
      'gender=f': 1,
      'interests=golf': 1,
      'interests=tech': 1,
      'log1p:profile.clicks7d': Math.log1p(3),
      'log1p:profile.visits30d': Math.log1p(10),
      'country=us&gender=f': 1,
    });
    const ad = Object.fromEntries(await pipeline.namedFeatures('ad', { campaign: 'c1', industry: 'travel', format: 'banner', bidCents: 120 }));
    expect(ad).toEqual({ 'campaign=c1': 1, 'industry=travel': 1, 'format=banner': 1, 'industry=travel&format=banner': 1, 'bidCents[100,500)': 1 });
    const context = Object.fromEntries(await pipeline.namedFeatures('context', { page: 'home', hour: 9, device: 'mobile' }));
    expect(context).toEqual({ 'page=home': 1, 'hour=9': 1, 'device=mobile': 1, 'cross:page=home*hour=9': 1 });

    const vector = await pipeline.assemble('user', { id: 'u42', age: 31, country: 'US', gender: 'f', interests: ['golf', 'tech'] }).get();
    expect(vector.dimension).toBe(2 ** 18);
    // Hash collisions may merge features; with 2^18 columns and 8 names they are unlikely, and the values must add up either way.
    expect(Array.from(vector.values).reduce((a, b) => a + b, 0)).toBeCloseTo(6 + Math.log1p(3) + Math.log1p(10), 6);
  });
});
