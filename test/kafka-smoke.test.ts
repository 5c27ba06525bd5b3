// Smoke test against a real Kafka broker: topic admin, keyed produce, and a fresh
// consumer group reading everything back in per-partition order.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { describeWithServices, KAFKA_BROKERS } from './support/services.js';

interface Sent {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  readonly offset: string;
}

const PARTITIONS = 3;

describeWithServices(['kafka'], 'kafka smoke', () => {
  const runId = randomUUID().slice(0, 8);
  const topic = `laserkit-smoke-${runId}`;
  const groupId = `laserkit-smoke-group-${runId}`;
  const kafka = new Kafka({
    clientId: `laserkit-smoke-${runId}`,
    brokers: [...KAFKA_BROKERS],
    logLevel: logLevel.ERROR,
    retry: { retries: 5, initialRetryTime: 200 },
  });

  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let topicCreated = false;
  let groupJoined = false;
  const sent: Sent[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topicCreated = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  });

  afterAll(async () => {
    // Best effort and in reverse order: a failed test must still leave no clients or topics behind.
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (admin) {
      if (groupJoined) await admin.deleteGroups([groupId]).catch(() => undefined);
      if (topicCreated) await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('creates the topic with the requested partitions', async () => {
    expect(topicCreated).toBe(true);
    const meta = await admin!.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics).toHaveLength(1);
    expect(meta.topics[0]?.partitions).toHaveLength(PARTITIONS);
  });

  it('produces keyed messages', async () => {
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const keys = ['user-a', 'user-b', 'user-c', 'user-d'];
    // One send per message so each record's partition and offset are known exactly.
    for (let i = 0; i < 12; i++) {
      const key = keys[i % keys.length]!;
      const value = JSON.stringify({ seq: i, key, clicked: i % 3 === 0 });
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
      expect(meta?.errorCode).toBe(0);
      sent.push({ key, value, partition: meta!.partition, offset: meta!.baseOffset! });
    }
    // The partitioner is keyed: one key never spans two partitions.
    for (const key of keys) {
      const partitions = new Set(sent.filter((s) => s.key === key).map((s) => s.partition));
      expect(partitions.size).toBe(1);
    }
  });

  it('reads everything back from the beginning with a fresh group, in order per partition', async () => {
    expect(sent).toHaveLength(12);
    consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });

    const received: Sent[] = [];
    const allReceived = new Promise<void>((resolve) => {
      void consumer!.run({
        eachMessage: async ({ partition, message }) => {
          received.push({
            key: message.key?.toString('utf8') ?? '',
            value: message.value?.toString('utf8') ?? '',
            partition,
            offset: message.offset,
          });
          if (received.length >= sent.length) resolve();
        },
      });
    });
    groupJoined = true;
    await withTimeout(allReceived, 30_000, () => `received ${received.length} of ${sent.length} messages`);

    expect(received).toHaveLength(sent.length);
    for (let p = 0; p < PARTITIONS; p++) {
      expect(received.filter((r) => r.partition === p)).toEqual(sent.filter((s) => s.partition === p));
    }
  });
});

async function withTimeout<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${describe()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
