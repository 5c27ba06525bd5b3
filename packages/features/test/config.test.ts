import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureHasher, LaserError } from '@laserkit/core';
import { definePipelineConfig, loadPipelineConfig, validatePipelineConfig, type PipelineConfig } from '../src/config.js';
import { FeaturePipeline } from '../src/pipeline.js';
import { MapFeatureProvider } from '../src/providers.js';

const base = (): Record<string, unknown> => ({
  sources: [
    { name: 'req', kind: 'request', namespace: 'user', fields: ['age', 'country'] },
    { name: 'adReq', kind: 'request', namespace: 'ad', fields: ['industry'] },
  ],
  transformers: [
    { name: 'age', kind: 'subset', inputs: ['req'], names: ['age'] },
    { name: 'ageBucket', kind: 'bucketing', inputs: ['age'], boundaries: [18, 30] },
    { name: 'country', kind: 'subset', inputs: ['req'], prefixes: ['country='] },
  ],
  assemblers: [{ namespace: 'user', inputs: ['ageBucket', 'country'] }],
});

type Obj = Record<string, unknown>;
type Editable = { sources: Obj[]; transformers: Obj[]; assemblers: Obj[]; [key: string]: unknown };

/** Applies an edit to a fresh copy of the base config and returns the validation error. */
function errorOf(edit: (c: Editable) => void): LaserError {
  const config = structuredClone(base()) as Editable;
  edit(config);
  try {
    validatePipelineConfig(config);
  } catch (e) {
    expect(e).toBeInstanceOf(LaserError);
    return e as LaserError;
  }
  throw new Error('expected the config to be rejected');
}

describe('validatePipelineConfig', () => {
  it('accepts a well-formed config and returns it', () => {
    const config = base();
    expect(validatePipelineConfig(config)).toBe(config);
  });

  it('names path, value and constraint for an input that is not defined', () => {
    const e = errorOf((c) => {
      c.transformers[2]!.inputs = ['reqq'];
    });
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^transformers\[2\]\.inputs\[0\] \("reqq"\) must name a source or an earlier transformer/);
    expect(e.details).toMatchObject({ field: 'transformers[2].inputs[0]', value: 'reqq' });
  });

  it('rejects a forward reference and says where the transformer is', () => {
    const e = errorOf((c) => {
      c.transformers[0]!.inputs = ['country'];
    });
    expect(e.message).toContain('transformers[0].inputs[0] ("country") must name a source or an earlier transformer');
    expect(e.message).toContain('defined later, at transformers[2]');
  });

  it('rejects cycles, naming them', () => {
    const e = errorOf((c) => {
      c.transformers[0]!.inputs = ['ageBucket'];
    });
    expect(e.message).toContain('transformers[0].inputs[0] ("ageBucket") forms a cycle (age -> ageBucket -> age)');
    const self = errorOf((c) => {
      c.transformers[1]!.inputs = ['ageBucket'];
    });
    expect(self.message).toContain('forms a cycle (ageBucket -> ageBucket)');
  });

  it.each([
    ['unknown kind', (c: Editable): void => { c.transformers[0]!.kind = 'subsett'; }, 'transformers[0].kind ("subsett") must be one of "subset", "bucketing"'],
    ['duplicate name', (c: Editable): void => { c.transformers[2]!.name = 'age'; }, 'transformers[2].name ("age") duplicates transformers[0].name'],
    ['bad name', (c: Editable): void => { c.sources[0]!.name = 'a b'; }, 'sources[0].name ("a b") must be a name of letters'],
    ['unknown field', (c: Editable): void => { c.transformers[1]!.boundary = [1]; }, 'transformers[1].boundary (array(length 1)) is not a known field'],
    ['unsorted boundaries', (c: Editable): void => { c.transformers[1]!.boundaries = [30, 18]; }, 'transformers[1].boundaries[1] (18) must be greater than boundaries[0] (30)'],
    ['non-finite boundary', (c: Editable): void => { c.transformers[1]!.boundaries = [1, null]; }, 'transformers[1].boundaries[1] (null) must be a finite number'],
    ['empty boundaries', (c: Editable): void => { c.transformers[1]!.boundaries = []; }, 'transformers[1].boundaries (array(length 0)) must hold at least one boundary'],
    ['arity', (c: Editable): void => { c.transformers[1]!.inputs = ['age', 'country']; }, 'transformers[1].inputs (array(length 2)) must hold exactly one input for a bucketing transformer'],
    ['interaction arity', (c: Editable): void => { c.transformers.push({ name: 'x', kind: 'interaction', inputs: ['age'] }); }, 'transformers[3].inputs (array(length 1)) must hold exactly two inputs'],
    ['disjunction arity', (c: Editable): void => { c.transformers.push({ name: 'x', kind: 'disjunction', inputs: ['age'] }); }, 'transformers[3].inputs (array(length 1)) must hold at least two inputs'],
    ['empty subset', (c: Editable): void => { c.transformers[2]!.prefixes = []; }, 'transformers[2].names (undefined) or prefixes must list at least one'],
    ['mixed namespaces', (c: Editable): void => { c.transformers.push({ name: 'x', kind: 'disjunction', inputs: ['age', 'adReq'] }); }, 'transformers[3].inputs[1] ("adReq") must be in the namespace of inputs[0] ("age", user), not ad'],
    ['bad namespace', (c: Editable): void => { c.sources[0]!.namespace = 'users'; }, 'sources[0].namespace ("users") must be a feature namespace (user, ad, context)'],
    ['categorical not a field', (c: Editable): void => { c.sources[0]!.categorical = ['hour']; }, 'sources[0].categorical[0] ("hour") must be one of sources[0].fields'],
    ['empty fields', (c: Editable): void => { c.sources[0]!.fields = []; }, 'sources[0].fields (array(length 0)) must not be empty'],
    ['provider without provider', (c: Editable): void => { c.sources[0] = { name: 'req', kind: 'provider', namespace: 'user' }; }, 'sources[0].provider (undefined) must be a non-empty string'],
    ['assembler input of another namespace', (c: Editable): void => { c.assemblers[0]!.inputs = ['adReq']; }, 'assemblers[0].inputs[0] ("adReq") must be a user component (sources[1] is ad)'],
    ['assembler unknown input', (c: Editable): void => { c.assemblers[0]!.inputs = ['nope']; }, 'assemblers[0].inputs[0] ("nope") must name a source or a transformer'],
    ['two assemblers for one namespace', (c: Editable): void => { c.assemblers.push({ namespace: 'user', inputs: ['age'] }); }, 'assemblers[1].namespace ("user") duplicates assemblers[0].namespace'],
    ['bad merge', (c: Editable): void => { c.assemblers[0]!.merge = 'max'; }, 'assemblers[0].merge ("max") must be one of "sum", "first"'],
    ['no sources', (c: Editable): void => { c.sources = []; }, 'sources (array(length 0)) must list at least one source'],
    ['a field with "="', (c: Editable): void => { c.sources[0]!.fields = ['age', 'a=b']; }, 'sources[0].fields[1] ("a=b") must not contain "="'],
    ['a categorical entry with "="', (c: Editable): void => { c.sources[0]!.categorical = ['age=1']; }, 'sources[0].categorical[0] ("age=1") must not contain "="'],
    ['a repeated disjunction input', (c: Editable): void => { c.transformers.push({ name: 'x', kind: 'disjunction', inputs: ['age', 'country', 'age'] }); }, 'transformers[3].inputs[2] ("age") duplicates transformers[3].inputs[0]: inputs must be distinct'],
    ['a repeated assembler input', (c: Editable): void => { c.assemblers[0]!.inputs = ['country', 'ageBucket', 'country']; }, 'assemblers[0].inputs[2] ("country") duplicates assemblers[0].inputs[0]: inputs must be distinct'],
    ['a separator with a backslash', (c: Editable): void => { c.transformers.push({ name: 'x', kind: 'interaction', inputs: ['age', 'country'], separator: '\\&' }); }, 'transformers[3].separator ("\\\\&") must not contain a backslash'],
    ['bad version', (c: Editable): void => { c.version = 2; }, 'version (2) must be 1'],
  ] as const)('rejects %s', (_label, edit, message) => {
    expect(errorOf(edit).message).toContain(message);
  });

  it('keeps request feature names unambiguous: no "=" in a field, so "a=b" + "c" cannot meet "a" + "b=c"', () => {
    const e = errorOf((c) => {
      c.sources[0]!.fields = ['a', 'a=b'];
    });
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatchObject({ field: 'sources[0].fields[1]', value: 'a=b' });
    expect(e.message).toContain('request features are named field=value');
  });

  it('rejects a disjunction that lists an input twice, which merge "sum" would count twice', () => {
    const e = errorOf((c) => {
      c.transformers.push({ name: 'both', kind: 'disjunction', inputs: ['country', 'country'], merge: 'sum' });
    });
    expect(e.details).toMatchObject({ field: 'transformers[3].inputs[1]', value: 'country' });
    expect(e.message).toContain('a repeated input would be merged with itself');
    // An interaction of an input with itself is a real cross (a × a), not a repetition.
    expect(() =>
      validatePipelineConfig({ ...base(), transformers: [...(base().transformers as Obj[]), { name: 'sq', kind: 'interaction', inputs: ['country', 'country'] }] }),
    ).not.toThrow();
  });

  it('checks provider and function names against the options', () => {
    const space = new FeatureHasher({ bits: 8 });
    const withProvider = definePipelineConfig({
      sources: [{ name: 'p', kind: 'provider', namespace: 'user', provider: 'profiles' }],
      assemblers: [{ namespace: 'user', inputs: ['p'] }],
    });
    expect(() => FeaturePipeline.fromConfig(withProvider, { space })).toThrow('sources[0].provider ("profiles") must name a provider in options.providers');
    expect(() => FeaturePipeline.fromConfig(withProvider, { space, providers: { profiles: new MapFeatureProvider('m') } })).not.toThrow();
    const withFunction: PipelineConfig = {
      sources: [{ name: 'r', kind: 'request', namespace: 'user', fields: ['a'] }],
      transformers: [{ name: 'f', kind: 'function', inputs: ['r'], function: 'log2' }],
      assemblers: [{ namespace: 'user', inputs: ['f'] }],
    };
    expect(() => FeaturePipeline.fromConfig(withFunction, { space })).toThrow('transformers[0].function ("log2") must name a function in options.functions; registered: log1p, sqrt, binarize, lowercase');
  });

  it('rejects bad options with the option name', () => {
    const config = base() as unknown as PipelineConfig;
    expect(() => FeaturePipeline.fromConfig(config, { space: new FeatureHasher(), maxKeyChars: 10 })).toThrow('options.maxKeyChars (10) must be an integer in [64, 1000000]');
    expect(() => FeaturePipeline.fromConfig(config, { space: new FeatureHasher(), valuePrecision: 'half' as never })).toThrow('options.valuePrecision ("half") must be one of');
    expect(() => FeaturePipeline.fromConfig(config, { space: {} as never })).toThrow('options.space (object) must be a FeatureSpace');
  });

  it('loads the example file, and names the file when JSON is broken', async () => {
    const config = await loadPipelineConfig(new URL('../examples/laser-pipeline.json', import.meta.url).pathname);
    const kinds = new Set((config.transformers ?? []).map((t) => t.kind));
    expect([...kinds].sort()).toEqual(['bucketing', 'disjunction', 'function', 'interaction', 'subset']);
    await expect(loadPipelineConfig(new URL('./config.test.ts', import.meta.url).pathname)).rejects.toThrow(/config\.test\.ts is not valid JSON/);
  });

  it('reads a config file that starts with a UTF-8 byte order mark like the same file without it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'laserkit-config-'));
    try {
      const text = JSON.stringify(base(), null, 2);
      await writeFile(join(dir, 'plain.json'), text);
      await writeFile(join(dir, 'bom.json'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
      expect(await loadPipelineConfig(join(dir, 'bom.json'))).toEqual(await loadPipelineConfig(join(dir, 'plain.json')));
      // Only at the very start: a BOM after the first character is not whitespace to JSON.
      await writeFile(join(dir, 'late.json'), ` \uFEFF${text}`);
      await expect(loadPipelineConfig(join(dir, 'late.json'))).rejects.toThrow(/late\.json is not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
