// The serving path against a real Redis that goes away mid-run: user features come from Redis
// through the feature pipeline, per-user partials are shared through the Redis tier, and the
// server is killed and restarted between requests. Every request must be answered, and the scorer
// must recover once Redis is back. A private redis-server on its own port is used, so the shared
// test server is never touched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { InProcessTier, RedisTier, TieredCache } from '@laserkit/cache';
import { FeatureHasher, SeededRng, isLaserError } from '@laserkit/core';
import { FeaturePipeline, RedisFeatureProvider, writeRedisFeatures } from '@laserkit/features';
import { ModelPredictor } from '@laserkit/model';
import { Scorer, type AdInput } from '@laserkit/scorer';
import { randomAds, randomModel } from '../packages/scorer/test/random-model.js';
import { describeWithServices, isCI } from './support/services.js';

const PORT = 6391;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer && isCI()) throw new Error('redis-server is not installed: the outage test needs its own server (Debian: apt-get install redis-server)');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describeWithServices(['redis'], 'scorer through a Redis outage', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let client: Redis;

  const startServer = async (): Promise<void> => {
    server = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const probe = new Redis(PORT, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused until the server is up
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await sleep(50);
      }
    }
    throw new Error(`redis-server did not answer on port ${PORT}`);
  };
  const stopServer = async (): Promise<void> => {
    const s = server;
    if (s === undefined || s.exitCode !== null) return;
    const exited = new Promise((r) => s.once('exit', r));
    s.kill('SIGKILL');
    await exited;
  };

  // The model's feature space is the pipeline's: hashed names.
  const space = new FeatureHasher({ seed: 3, bits: { user: 6, ad: 4, context: 3 } });
  const model = randomModel(77, { user: 64, ad: 16, context: 8 });
  const ads = randomAds(new SeededRng(78), 40, 16);
  const candidates = ads.map((a) => a.id);
  const profile = (u: number): Record<string, number> => ({ [`topic=${u % 7}`]: 1, [`seniority=${u % 3}`]: 1, [`skill=${(u * 13) % 29}`]: 1 });

  beforeAll(async () => {
    if (!hasRedisServer) return;
    dir = mkdtempSync(join(tmpdir(), 'laserkit-redis-outage-'));
    await startServer();
    // Fail fast while the server is down instead of queueing commands until it returns.
    client = new Redis(PORT, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
    client.on('error', () => undefined); // connection errors while the server is down are expected
    await new Promise((r) => client.once('ready', r));
  });

  afterAll(async () => {
    client?.disconnect();
    await stopServer();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request while Redis is down, and recovers when it returns', async () => {
    if (!hasRedisServer) return;
    const load = async (from: number, to: number) => {
      for (let u = from; u < to; u++) await writeRedisFeatures(client, `u${u}`, profile(u));
    };
    await load(0, 200);
    const pipeline = FeaturePipeline.fromConfig(
      {
        sources: [
          { name: 'profile', kind: 'provider', namespace: 'user', provider: 'profiles', idField: 'id' },
          { name: 'page', kind: 'request', namespace: 'context', fields: ['page', 'hour'] },
        ],
        assemblers: [
          { namespace: 'user', inputs: ['profile'] },
          { namespace: 'context', inputs: ['page'] },
        ],
      },
      { space, providers: { profiles: new RedisFeatureProvider(client) } },
    );
    const cache = new TieredCache({ local: new InProcessTier(), shared: new RedisTier({ client }), breaker: { failureThreshold: 2, cooldownMs: 100 } });
    const backgroundErrors: unknown[] = [];
    const scorer = new Scorer({ model, ads, cache, breaker: { failureThreshold: 2, cooldownMs: 100 }, defaultDeadlineMs: 50, onBackgroundError: (e) => backgroundErrors.push(e) });
    const request = (u: number) => ({
      user: pipeline.assemble('user', { id: `u${u}` }),
      context: pipeline.assemble('context', { page: `p${u % 4}`, hour: u % 24 }),
      candidates,
    });
    const direct = new ModelPredictor(model);

    // 1. Redis up: exact scores, nothing substituted.
    for (let u = 0; u < 20; u++) {
      const res = await scorer.rank(request(u));
      expect(res.substituted).toEqual([]);
      const user = await pipeline.assemble('user', { id: `u${u}` }).get();
      const context = await pipeline.assemble('context', { page: `p${u % 4}`, hour: u % 24 }).get();
      for (const r of res.ranked) {
        const ad = ads[r.position] as AdInput;
        expect(Math.abs(r.score - direct.predict({ user, context, ad: ad.features, entities: ad.entities ?? {} }).score)).toBeLessThan(1e-9);
      }
    }

    // 2. Redis killed: every request still answered with every candidate; user terms fall back.
    await stopServer();
    const reasons = new Set<string>();
    for (let u = 100; u < 140; u++) {
      const res = await scorer.rank(request(u));
      expect(res.ranked).toHaveLength(candidates.length);
      expect(res.substituted).toContain('main:user');
      for (const f of res.fallbacks) reasons.add(f.reason);
    }
    expect(reasons.has('error') || reasons.has('deadline')).toBe(true);
    expect(reasons.has('circuit-open')).toBe(true); // the breaker stopped waiting on the dead server
    // Users served before the outage still score exactly from the in-process tier.
    expect((await scorer.rank(request(3))).substituted).toEqual([]);

    // 3. Redis back (empty: no persistence), features reloaded: the scorer recovers by itself.
    await startServer();
    await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
    await load(100, 200);
    let recoveredAfter = -1;
    for (let attempt = 0; attempt < 100 && recoveredAfter < 0; attempt++) {
      const res = await scorer.rank(request(150 + attempt));
      if (res.substituted.length === 0) recoveredAfter = attempt;
      else await sleep(50);
    }
    expect(recoveredAfter).toBeGreaterThanOrEqual(0);
    expect(cache.breaker.state).not.toBe('open');
    expect(backgroundErrors.every((e) => isLaserError(e) || e instanceof Error)).toBe(true);
  });
});
