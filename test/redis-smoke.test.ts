// Smoke test against a real Redis: the commands the feature cache relies on.
import { expect, it } from 'vitest';
import { describeWithServices, useTestRedis } from './support/services.js';

describeWithServices(['redis'], 'redis smoke', () => {
  const redis = useTestRedis('smoke');
  const key = (name: string): string => `${redis.prefix}${name}`;
  const client = redis.client;

  it('SET with a TTL, then GET', async () => {
    const r = client();
    expect(await r.set(key('ttl'), 'hello', 'EX', 60)).toBe('OK');
    expect(await r.get(key('ttl'))).toBe('hello');
    const ttl = await r.ttl(key('ttl'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('MSET and MGET in one pipeline', async () => {
    const results = await client()
      .pipeline()
      .mset(key('a'), '1', key('b'), '2')
      .mget(key('a'), key('b'), key('missing'))
      .exec();
    expect(results).toEqual([
      [null, 'OK'],
      [null, ['1', '2', null]],
    ]);
  });

  it('round-trips binary values byte for byte', async () => {
    const r = client();
    const bytes = Buffer.from([0x00, 0xff, 0x01, 0x80, 0x7f, 0x0a, 0x0d, 0x00, 0xc3, 0x28]);
    expect(await r.set(key('bin'), bytes)).toBe('OK');
    const back = await r.getBuffer(key('bin'));
    expect(back).not.toBeNull();
    expect(Buffer.compare(back!, bytes)).toBe(0);
    expect(await r.strlen(key('bin'))).toBe(bytes.length);
  });

  it('DEL removes exactly the keys that exist', async () => {
    const r = client();
    await r.set(key('del'), 'x');
    expect(await r.del(key('del'), key('never-set'))).toBe(1);
    expect(await r.exists(key('del'))).toBe(0);
  });
});
