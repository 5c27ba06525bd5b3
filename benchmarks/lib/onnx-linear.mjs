// Scoring peer: ONNX Runtime (onnxruntime-node, CPU build) scoring a linear model over assembled
// sparse features, to compare with a one-core JS scorer.
//
// The model is written here as ONNX protobuf bytes (no Python, no onnx package):
//   score[b] = bias + Σ_k W[idx[b,k]] · val[b,k]        p[b] = sigmoid(score[b])
// as Gather(W, idx) → Mul(·, val) → ReduceSum(axis 1, keepdims 0) → Add(bias) → Sigmoid.
//
// Padding convention: every row has exactly K slots. A row with fewer than K active features is
// padded with index 0 and value 0; a padded slot adds W[0] · 0 = 0 (weights must be finite, since
// NaN · 0 and ±Inf · 0 are NaN). Indices must lie in [0, F); ONNX Gather rejects others.
//
// onnxruntime-node is not a dependency of the repository (its CPU build is ~290 MB and its install
// script fetches GPU parts from a host that may be unreachable). It is installed on demand into
// benchmarks/work/onnx (git-ignored) with ONNXRUNTIME_NODE_INSTALL=skip, and loaded from there.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextEncoder } from 'node:util';
import { LaserError, invalidArgument } from '@laserkit/core';

/** Where the runtime is installed on demand (git-ignored). */
export const ONNX_WORK_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'work', 'onnx');

/**
 * The onnxruntime-node version installed when none is present. No published version declares
 * `engines`; the README asks for Node.js 16+ (20+ recommended), its dependencies (adm-zip,
 * global-agent, onnxruntime-common) allow Node 20, and the addon targets N-API 6.
 */
export const ONNX_RUNTIME_NODE_VERSION = '1.30.0';

/** Longest an on-demand install may take before the peer is reported unavailable. */
const INSTALL_TIMEOUT_MS = 20 * 60 * 1000;

// ONNX constants (onnx/onnx.proto): TensorProto.DataType, AttributeProto.AttributeType.
const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_INT = 2;
/** IR version 7 is the one that ships with opset 13 (ONNX 1.8). */
const IR_VERSION = 7;
const OPSET_VERSION = 13;

// ---------------------------------------------------------------------------------------------
// Minimal protobuf writer: enough of the wire format for ONNX models (proto2).
// Wire types: 0 varint, 2 length-delimited. Messages are built bottom-up as byte arrays.

const TWO_64 = 1n << 64n;
const textEncoder = new TextEncoder();

/** Varint of an int64 (negative values as 10-byte two's complement, as protobuf does). */
function varint(value) {
  let v = BigInt(value);
  if (v < 0n) v += TWO_64;
  const out = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function concat(parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const tag = (field, wireType) => varint((field << 3) | wireType);
/** Field of wire type 0 (int32, int64, enum). */
const fieldVarint = (field, value) => Uint8Array.from([...tag(field, 0), ...varint(value)]);
/** Field of wire type 2 (bytes, string, sub-message, packed repeated scalars). */
const fieldBytes = (field, bytes) => concat([Uint8Array.from([...tag(field, 2), ...varint(bytes.length)]), bytes]);
const fieldString = (field, text) => fieldBytes(field, textEncoder.encode(text));
const message = (...fields) => concat(fields.flat());

/** Packed repeated int64: the varints back to back, length-delimited. */
const fieldPackedInt64 = (field, values) => fieldBytes(field, Uint8Array.from(values.flatMap((v) => varint(v))));

/** Packed repeated float: little-endian IEEE 754 binary32, length-delimited. */
function fieldPackedFloat(field, values) {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return fieldBytes(field, bytes);
}

/** Little-endian bytes of a Float32Array (TensorProto.raw_data stores fixed-width LE values). */
function float32LittleEndian(values) {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

// ONNX messages, field numbers from onnx/onnx.proto.

/** TensorShapeProto.Dimension: dim_value = 1 (int64) or dim_param = 2 (string). */
const dimension = (d) => (typeof d === 'string' ? fieldString(2, d) : fieldVarint(1, d));

/** ValueInfoProto { name = 1, type = 2 }, TypeProto { tensor_type = 1 },
 * TypeProto.Tensor { elem_type = 1, shape = 2 }, TensorShapeProto { dim = 1 }. */
function valueInfo(name, elemType, dims) {
  const shape = message(...dims.map((d) => fieldBytes(1, dimension(d))));
  const tensorType = message(fieldVarint(1, elemType), fieldBytes(2, shape));
  return message(fieldString(1, name), fieldBytes(2, message(fieldBytes(1, tensorType))));
}

/** TensorProto { dims = 1 (packed), data_type = 2, float_data = 4, int64_data = 7, name = 8,
 * raw_data = 9 }. `data` is { raw } (already little-endian bytes), { floats } or { int64s }. */
function tensor(name, dataType, dims, data) {
  const fields = [];
  if (dims.length > 0) fields.push(fieldPackedInt64(1, dims));
  fields.push(fieldVarint(2, dataType));
  if (data.floats !== undefined) fields.push(fieldPackedFloat(4, data.floats));
  if (data.int64s !== undefined) fields.push(fieldPackedInt64(7, data.int64s));
  fields.push(fieldString(8, name));
  if (data.raw !== undefined) fields.push(fieldBytes(9, data.raw));
  return message(...fields);
}

/** AttributeProto { name = 1, i = 3, type = 20 } for an INT attribute. */
const intAttribute = (name, value) => message(fieldString(1, name), fieldVarint(3, value), fieldVarint(20, ATTRIBUTE_INT));

/** NodeProto { input = 1, output = 2, name = 3, op_type = 4, attribute = 5 }. */
function node(opType, inputs, outputs, attributes = []) {
  return message(
    ...inputs.map((i) => fieldString(1, i)),
    ...outputs.map((o) => fieldString(2, o)),
    fieldString(3, `${opType.toLowerCase()}_${outputs[0]}`),
    fieldString(4, opType),
    ...attributes.map((a) => fieldBytes(5, a)),
  );
}

/**
 * The ONNX bytes of the linear model. ModelProto { ir_version = 1, producer_name = 2,
 * graph = 7, opset_import = 8 }, OperatorSetIdProto { domain = 1, version = 2 }, GraphProto
 * { node = 1, name = 2, initializer = 5, input = 11, output = 12 }. The batch dimension is
 * symbolic ("B"), K is fixed.
 * @param {{ weights: Float32Array, bias: number, K: number }} model
 * @returns {Uint8Array}
 */
export function buildLinearModelBytes({ weights, bias, K }) {
  const graph = message(
    fieldBytes(1, node('Gather', ['W', 'idx'], ['w_at'])),
    fieldBytes(1, node('Mul', ['w_at', 'val'], ['wx'])),
    fieldBytes(1, node('ReduceSum', ['wx', 'axes'], ['dot'], [intAttribute('keepdims', 0)])),
    fieldBytes(1, node('Add', ['dot', 'bias'], ['score'])),
    fieldBytes(1, node('Sigmoid', ['score'], ['p'])),
    fieldString(2, 'laserkit_linear'),
    fieldBytes(5, tensor('W', FLOAT, [weights.length], { raw: float32LittleEndian(weights) })),
    fieldBytes(5, tensor('bias', FLOAT, [], { floats: [bias] })),
    // Opset 13 ReduceSum takes its axes as an int64 tensor input, not an attribute.
    fieldBytes(5, tensor('axes', INT64, [1], { int64s: [1] })),
    fieldBytes(11, valueInfo('idx', INT64, ['B', K])),
    fieldBytes(11, valueInfo('val', FLOAT, ['B', K])),
    fieldBytes(12, valueInfo('score', FLOAT, ['B'])),
    fieldBytes(12, valueInfo('p', FLOAT, ['B'])),
  );
  return message(
    fieldVarint(1, IR_VERSION),
    fieldString(2, 'laserkit-benchmarks'),
    fieldBytes(7, graph),
    fieldBytes(8, message(fieldString(1, ''), fieldVarint(2, OPSET_VERSION))),
  );
}

// ---------------------------------------------------------------------------------------------
// On-demand install and load.

function installedVersion(dir) {
  const manifest = join(dir, 'node_modules', 'onnxruntime-node', 'package.json');
  if (!existsSync(manifest)) return undefined;
  return JSON.parse(readFileSync(manifest, 'utf8')).version;
}

function npmInstall(dir, version) {
  return new Promise((resolve) => {
    const args = ['install', '--prefix', dir, '--no-audit', '--no-fund', '--save-exact', `onnxruntime-node@${version}`];
    // The install script's GPU download is skipped; the CPU binaries ship inside the package.
    const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip' };
    execFile('npm', args, { env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error === null) resolve({ ok: true });
      else resolve({ ok: false, reason: `npm install onnxruntime-node@${version} failed: ${error.message.split('\n')[0]}; ${String(stderr).trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

/**
 * Makes onnxruntime-node importable from `dir`, installing it when missing, and loads it.
 * Never throws: failures come back as `{ available: false, reason }`.
 * @param {{ dir?: string, version?: string, log?: (line: string) => void }} [options]
 */
export async function ensureOnnxRuntime({ dir = ONNX_WORK_DIR, version = ONNX_RUNTIME_NODE_VERSION, log = () => {} } = {}) {
  try {
    let installMs;
    if (installedVersion(dir) === undefined) {
      mkdirSync(dir, { recursive: true });
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) writeFileSync(manifest, '{"private":true}\n');
      log(`installing onnxruntime-node@${version} (CPU build, ~290 MB) into ${dir}`);
      const t0 = performance.now();
      const result = await npmInstall(dir, version);
      installMs = performance.now() - t0;
      if (!result.ok) return { available: false, reason: result.reason };
      if (installedVersion(dir) === undefined) return { available: false, reason: `npm install reported success but ${dir}/node_modules/onnxruntime-node is missing` };
    }
    const ort = createRequire(join(dir, 'package.json'))('onnxruntime-node');
    return { available: true, ort, version: installedVersion(dir), installMs };
  } catch (error) {
    return { available: false, reason: `onnxruntime-node could not be loaded: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * An ONNX Runtime session scoring `bias + Σ_k W[idx[b,k]] · val[b,k]` for a batch of B rows of
 * exactly K slots (pad shorter rows with index 0 and value 0).
 *
 * Returns `{ available: true, version, installMs, run, runWithProbability, close }`, or
 * `{ available: false, reason }` when onnxruntime-node cannot be installed or loaded or the session
 * cannot be created; it never throws for an unavailable peer. Invalid arguments do throw
 * (LaserError INVALID_ARGUMENT).
 *
 * Sessions run on one core: intra-op and inter-op pools of `intraOpThreads` (default 1) and 1
 * thread, sequential execution, all graph optimizations on.
 *
 * @param {{ weights: Float32Array, bias: number, K: number, intraOpThreads?: number,
 *   dir?: string, version?: string, log?: (line: string) => void }} options
 */
export async function loadOnnxLinear({ weights, bias, K, intraOpThreads = 1, dir, version, log }) {
  if (!(weights instanceof Float32Array) || weights.length === 0) throw invalidArgument('weights', weights, 'must be a non-empty Float32Array', 'pass the model weights as a Float32Array of length F');
  if (!Number.isFinite(bias)) throw invalidArgument('bias', bias, 'must be a finite number');
  if (!Number.isInteger(K) || K < 1) throw invalidArgument('K', K, 'must be an integer ≥ 1', 'pass the number of feature slots per row (rows are padded to K)');
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) throw invalidArgument('intraOpThreads', intraOpThreads, 'must be an integer ≥ 1');

  const runtime = await ensureOnnxRuntime({ ...(dir === undefined ? {} : { dir }), ...(version === undefined ? {} : { version }), ...(log === undefined ? {} : { log }) });
  if (!runtime.available) return runtime;
  const { ort } = runtime;

  let session;
  try {
    session = await ort.InferenceSession.create(buildLinearModelBytes({ weights, bias, K }), {
      executionProviders: ['cpu'],
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    return { available: false, reason: `onnxruntime-node ${runtime.version} could not create the session: ${error instanceof Error ? error.message : String(error)}` };
  }

  const feeds = (idx, val, B) => {
    if (!Number.isInteger(B) || B < 1) throw invalidArgument('B', B, 'must be an integer ≥ 1');
    if (!(idx instanceof BigInt64Array) || idx.length !== B * K) throw invalidArgument('idx', idx, `must be a BigInt64Array of length B·K = ${B * K}`);
    if (!(val instanceof Float32Array) || val.length !== B * K) throw invalidArgument('val', val, `must be a Float32Array of length B·K = ${B * K}`);
    return { idx: new ort.Tensor('int64', idx, [B, K]), val: new ort.Tensor('float32', val, [B, K]) };
  };
  let closed = false;
  const checkOpen = () => {
    if (closed) throw new LaserError('CLOSED', 'the ONNX linear session was closed; load a new one with loadOnnxLinear()');
  };

  return {
    available: true,
    version: runtime.version,
    installMs: runtime.installMs,
    /** Linear scores (log-odds) of B rows; only the `score` output is fetched. */
    async run(idx, val, B) {
      checkOpen();
      const out = await session.run(feeds(idx, val, B), ['score']);
      return out.score.data;
    },
    /** Scores and their sigmoid, both of length B. */
    async runWithProbability(idx, val, B) {
      checkOpen();
      const out = await session.run(feeds(idx, val, B), ['score', 'p']);
      return { scores: out.score.data, probabilities: out.p.data };
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
