// Where the integration tests find their real services, and how a suite declares
// that it needs them.
//
// Locally, a suite whose service is down is skipped with a visible warning, so
// `npm test` works without Kafka or Redis. In CI (CI=true or CI=1) a missing
// service is a failure, never a silent skip.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Redis } from 'ioredis';

/** Kafka bootstrap brokers: KAFKA_BROKERS (comma separated), default 127.0.0.1:9092. */
export const KAFKA_BROKERS: readonly string[] = parseList(process.env.KAFKA_BROKERS, ['127.0.0.1:9092']);

/** Redis connection URL: REDIS_URL, default redis://127.0.0.1:6379. */
export const REDIS_URL: string = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';

export type ServiceName = 'kafka' | 'redis';

export interface ServiceProbe {
  readonly service: ServiceName;
  /** Human name, e.g. "Kafka". */
  readonly label: string;
  /** What was probed, as the user configured it (e.g. "127.0.0.1:9092"). */
  readonly address: string;
  readonly envVar: string;
  readonly reachable: boolean;
  /** Why the probe failed, when it did. */
  readonly error?: string;
}

const START_HINT =
  'Start the test services with `npm run services:start` (or `docker compose up -d`), then re-run the tests.';

/** True when running under CI (CI=true or CI=1, as set by most CI systems). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value === 'true' || value === '1';
}

/** TCP-connects to the service (short timeout); never throws. */
export async function probeService(service: ServiceName, timeoutMs = 1500): Promise<ServiceProbe> {
  const target = describeTarget(service);
  const attempts = await Promise.all(target.endpoints.map((e) => tcpConnect(e.host, e.port, timeoutMs)));
  // Kafka needs only one reachable bootstrap broker; Redis has a single endpoint.
  const failure = attempts.every((a) => a !== undefined)
    ? attempts
        .map((reason, i) => {
          const e = target.endpoints[i];
          return target.endpoints.length > 1 && e ? `${e.host}:${e.port} ${reason}` : reason;
        })
        .join('; ')
    : undefined;
  const base = { service, label: target.label, address: target.address, envVar: target.envVar };
  return failure === undefined ? { ...base, reachable: true } : { ...base, reachable: false, error: failure };
}

/** The message shown when services are missing: names each service, its address and the fix. */
export function unreachableMessage(probes: readonly ServiceProbe[]): string {
  const lines = probes
    .filter((p) => !p.reachable)
    .map((p) => `${p.label} is not reachable at ${p.address} (${p.envVar}): ${p.error ?? 'unknown error'}.`);
  return [...lines, START_HINT].join('\n');
}

/**
 * Awaitable from a beforeAll hook (or anywhere async). Resolves true when every
 * service answers. When one does not: throws under CI, otherwise warns and resolves
 * false so the caller can skip its work.
 */
export async function requireServices(...services: ServiceName[]): Promise<boolean> {
  const probes = await Promise.all(services.map((s) => probeService(s)));
  if (probes.every((p) => p.reachable)) return true;
  const message = unreachableMessage(probes);
  if (isCI()) throw new Error(message);
  console.warn(`[laserkit] skipping: ${message}`);
  return false;
}

/**
 * A describe() that runs only when the listed services answer. The probe happens
 * once, at collection time, so no hook of the suite runs against a missing service.
 *   - all reachable: the suite runs normally;
 *   - otherwise, outside CI: a console warning, and the suite's tests are reported as skipped;
 *   - otherwise, in CI: one failing test carrying the message (the suite's own tests are skipped).
 */
export function describeWithServices(
  services: readonly ServiceName[],
  name: string,
  factory: () => void,
): void {
  describe(name, async () => {
    const probes = await Promise.all(services.map((s) => probeService(s)));
    if (probes.every((p) => p.reachable)) {
      factory();
      return;
    }
    const message = unreachableMessage(probes);
    const missing = probes
      .filter((p) => !p.reachable)
      .map((p) => `${p.label} at ${p.address}`)
      .join(', ');
    if (isCI()) {
      it(`needs ${missing}`, () => {
        throw new Error(message);
      });
    } else {
      console.warn(`[laserkit] skipping "${name}": ${message}`);
    }
    describe.skip(`skipped: ${missing} unreachable`, factory);
  });
}

interface Endpoint {
  readonly host: string;
  readonly port: number;
}

function describeTarget(service: ServiceName): {
  label: string;
  address: string;
  envVar: string;
  endpoints: Endpoint[];
} {
  if (service === 'kafka') {
    return {
      label: 'Kafka',
      address: KAFKA_BROKERS.join(','),
      envVar: 'KAFKA_BROKERS',
      endpoints: KAFKA_BROKERS.map((b) => parseHostPort(b, 9092)),
    };
  }
  const url = new URL(REDIS_URL);
  return {
    label: 'Redis',
    address: `${url.hostname}:${url.port || '6379'}`,
    envVar: 'REDIS_URL',
    endpoints: [{ host: stripBrackets(url.hostname), port: Number(url.port || 6379) }],
  };
}

/** Resolves undefined on success, or a short reason on failure. */
function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

function parseList(value: string | undefined, fallback: string[]): string[] {
  const items = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return items.length > 0 ? items : fallback;
}

function parseHostPort(address: string, defaultPort: number): Endpoint {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(address);
  if (!match?.[1]) return { host: address, port: defaultPort };
  return { host: stripBrackets(match[1]), port: match[2] ? Number(match[2]) : defaultPort };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * A Redis client for one suite, connected in beforeAll, whose keys all start with a fresh random
 * prefix and are deleted in afterAll. Call it at the top of a describeWithServices(['redis']) body.
 */
export function useTestRedis(name: string): { readonly prefix: string; client(): Redis } {
  const prefix = `laserkit:test:${name}:${randomUUID().slice(0, 8)}:`;
  let redis: Redis | undefined;
  beforeAll(async () => {
    // Fail fast instead of queueing commands forever if the server goes away mid-run.
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    await redis.connect();
  });
  afterAll(async () => {
    if (!redis) return;
    const leftovers = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
    if (leftovers.length > 0) await redis.del(...leftovers).catch(() => undefined);
    await redis.quit().catch(() => redis?.disconnect());
  });
  return {
    prefix,
    client: () => {
      if (!redis) throw new Error('Redis client not connected');
      return redis;
    },
  };
}
