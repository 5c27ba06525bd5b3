import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import avro from 'avsc';
import { LaserError } from '@laserkit/core';
import { decodeModel, encodeModel, loadModel, modelToJSON, saveModel, MODEL_AVRO_SCHEMA } from '../src/artifact.js';
import { randomModel } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'laserkit-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof LaserError ? e.code : `not a LaserError: ${String(e)}`;
  }
  return 'no error';
}

describe('model artifact', () => {
  it('round-trips every field bit for bit, and the same model gives the same bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const model = randomModel(seed);
        const bytes = encodeModel(model);
        const back = decodeModel(bytes);
        expect(modelToJSON(back)).toEqual(modelToJSON(model));
        expect(back.main[0]!.weights).toBeInstanceOf(Float64Array);
        expect(encodeModel(back).equals(bytes)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('is a standard Avro object container file that a generic Avro reader decodes', async () => {
    const path = join(dir, 'generic.avro');
    saveModel(randomModel(1), path);
    const records: { modelId: string; intercept: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      avro.createFileDecoder(path).on('data', (r: { modelId: string; intercept: number }) => records.push(r)).on('end', resolve).on('error', reject);
    });
    expect(records).toHaveLength(1);
    expect(records[0]!.modelId).toBe('test-1');
    expect(records[0]!.intercept).toBe(-3.2);
  });

  it('never decodes a damaged file into a different model: every single-byte flip is rejected or harmless', () => {
    const model = randomModel(2);
    const bytes = encodeModel(model);
    const original = JSON.stringify(modelToJSON(model));
    let rejected = 0;
    for (let at = 0; at < bytes.length; at++) {
      for (const mask of [0x01, 0x80]) {
        const damaged = Buffer.from(bytes);
        damaged[at] = damaged[at]! ^ mask;
        let decoded: unknown;
        try {
          decoded = decodeModel(damaged);
        } catch (e) {
          expect(e).toBeInstanceOf(LaserError);
          expect(['CORRUPT_ARTIFACT', 'INCOMPATIBLE_ARTIFACT']).toContain((e as LaserError).code);
          rejected++;
          continue;
        }
        // Only bytes outside the model's content can be harmless (e.g. the optional "avro.codec" key's name).
        expect(JSON.stringify(modelToJSON(decoded as typeof model))).toBe(original);
      }
    }
    expect(rejected).toBeGreaterThan(2 * bytes.length * 0.99);
    for (const keep of [0, 3, 10, Math.floor(bytes.length / 2), bytes.length - 17, bytes.length - 1]) {
      expect(['CORRUPT_ARTIFACT', 'INCOMPATIBLE_ARTIFACT']).toContain(codeOf(() => decodeModel(bytes.subarray(0, keep))));
    }
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
  });

  it('rejects a file that is not a laserkit model, and a newer schema version', async () => {
    expect(() => decodeModel(Buffer.from('{"modelId": "x"}'))).toThrow(/not a model artifact/);
    // A valid Avro container of some other record.
    const otherType = avro.Type.forSchema({ type: 'record', name: 'Other', fields: [{ name: 'x', type: 'int' }] });
    const path = join(dir, 'other.avro');
    const encoder = new avro.streams.BlockEncoder(otherType);
    const chunks: Buffer[] = [];
    encoder.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => {
      encoder.on('end', resolve);
      encoder.end({ x: 1 });
    });
    writeFileSync(path, Buffer.concat(chunks));
    expect(() => loadModel(path)).toThrow(/not a laserkit model/);
    const bytes = encodeModel(randomModel(3));
    const newer = Buffer.from(bytes.toString('latin1').replace('laserkit.schemaVersion\u0002' + '1', 'laserkit.schemaVersion\u0002' + '9'), 'latin1');
    expect(codeOf(() => decodeModel(newer))).toBe('INCOMPATIBLE_ARTIFACT');
    expect(() => decodeModel(newer)).toThrow(/schema version 9 is not supported/);
  });

  it('names the path when a file is missing or damaged', () => {
    expect(() => loadModel(join(dir, 'missing.avro'))).toThrow(/cannot read model artifact .*missing\.avro/);
    const path = join(dir, 'damaged.avro');
    const bytes = encodeModel(randomModel(4));
    writeFileSync(path, bytes.subarray(0, bytes.length - 40));
    expect(() => loadModel(path)).toThrow(new RegExp(`${path}: model artifact is corrupt: truncated`));
  });

  it('refuses to write an inconsistent model', () => {
    const m = randomModel(5);
    const bad = { ...m, main: [{ ...m.main[0]!, weights: new Float64Array(3) }] };
    expect(() => encodeModel(bad)).toThrow('main[0].weights (Float64Array(length 3)) must have length dimensions.user (12)');
    const nan = { ...m, intercept: Number.NaN };
    expect(() => encodeModel(nan)).toThrow('intercept (NaN) must be a finite number');
    const negVar = { ...m, main: [{ ...m.main[0]!, variances: new Float64Array(12).fill(-1) }] };
    expect(() => encodeModel(negVar)).toThrow('main[0].variances[0] (-1) must be a finite variance >= 0');
    const badTerm = { ...m, termMeans: [{ term: 're:perUser' as const, mean: 0 }] };
    expect(() => encodeModel(badTerm)).toThrow(/termMeans\[0\]\.term \("re:perUser"\) must name a term of this model/);
  });

  it('keeps the schema documented', () => {
    expect(MODEL_AVRO_SCHEMA.fields.map((f) => f.name)).toContain('randomEffects');
  });
});
