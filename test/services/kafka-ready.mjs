// Readiness probe for test/services/kafka.sh: an open port is not enough, so ask
// the broker for its topic list through the same client the tests use, then for a
// group coordinator (this makes a fresh broker create __consumer_offsets now,
// instead of during the first test's consumer join).
// Usage: node test/services/kafka-ready.mjs host:port
// Exit codes: 0 ready, 1 not ready, 2 kafkajs is not installed.
const broker = process.argv[2] ?? '127.0.0.1:9092';

let kafkajs;
try {
  kafkajs = await import('kafkajs');
} catch {
  process.exit(2);
}
const { Kafka, logLevel } = kafkajs;

// Hard stop: a half-started broker must not hang the caller's retry loop.
setTimeout(() => process.exit(1), 10_000).unref();

const admin = new Kafka({
  clientId: 'laserkit-services-ready',
  brokers: [broker],
  connectionTimeout: 2_000,
  requestTimeout: 5_000,
  retry: { retries: 0 },
  logLevel: logLevel.NOTHING,
}).admin();

try {
  await admin.connect();
  await admin.listTopics();
  await admin.describeGroups(['laserkit-services-ready']);
  await admin.disconnect();
  process.exit(0);
} catch {
  process.exit(1);
}
