import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FeatureHasher } from '@laserkit/core';
import type { PipelineConfig, TransformerConfig } from '../src/config.js';
import { FunctionRegistry } from '../src/functions.js';
import { FeaturePipeline } from '../src/pipeline.js';
import { bucketIndex, bucketLabels, interactFeatures } from '../src/transforms.js';

const space = new FeatureHasher({ bits: 16 });

/** A one-source user pipeline with the given transformers; returns a function giving a component's named features. */
function componentOf(fields: string[], transformers: TransformerConfig[], options: { categorical?: string[]; functions?: FunctionRegistry } = {}) {
  const config: PipelineConfig = {
    sources: [{ name: 'src', kind: 'request', namespace: 'user', fields, ...(options.categorical ? { categorical: options.categorical } : {}) }],
    transformers,
    assemblers: [{ namespace: 'user', inputs: ['src'] }],
  };
  const pipeline = FeaturePipeline.fromConfig(config, { space, ...(options.functions ? { functions: options.functions } : {}) });
  return (name: string, raw: Record<string, unknown>): Record<string, number> => {
    const value = pipeline.component(name, raw).get();
    if (value instanceof Promise) throw new Error('a request-only component must evaluate synchronously');
    return Object.fromEntries(value);
  };
}

describe('request source', () => {
  it('encodes numbers as values, strings and arrays as one-hot, booleans as presence, null as absence', () => {
    const get = componentOf(['age', 'country', 'member', 'guest', 'tags', 'hour', 'missing', 'nothing'], [], { categorical: ['hour'] });
    expect(get('src', { age: 31, country: 'us', member: true, guest: false, tags: ['a', 'b', 'a', 7], hour: 13, nothing: null, ignored: 'x' })).toEqual({
      age: 31,
      'country=us': 1,
      member: 1,
      'tags=a': 2,
      'tags=b': 1,
      'tags=7': 1,
      'hour=13': 1,
    });
  });

  it('rejects raw values it cannot encode, naming the field', () => {
    const get = componentOf(['age', 'tags'], []);
    expect(() => get('src', { age: Number.NaN })).toThrow('user.age (NaN) must be a finite number');
    expect(() => get('src', { age: { years: 3 } })).toThrow('user.age (object) must be a finite number, a string, a boolean, null or an array');
    expect(() => get('src', { tags: ['a', null] })).toThrow('user.tags[1] (null) must be a string or a finite number');
  });
});

describe('subset', () => {
  it('keeps listed names and names with a listed prefix, and applies its own prefix', () => {
    const get = componentOf(['age', 'country', 'gender', 'ageGroup'], [{ name: 's', kind: 'subset', inputs: ['src'], names: ['age'], prefixes: ['country='], prefix: 'p.' }]);
    expect(get('s', { age: 40, ageGroup: 2, country: 'fr', gender: 'f' })).toEqual({ 'p.age': 40, 'p.country=fr': 1 });
  });
});

describe('bucketing', () => {
  it('puts a value in [b_{i-1}, b_i), with open ends and the boundary itself in the upper bucket', () => {
    const get = componentOf(['age', 'score'], [{ name: 'b', kind: 'bucketing', inputs: ['src'], boundaries: [18, 25.5, 35] }]);
    expect(get('b', { age: 17.9, score: 18 })).toEqual({ 'age[-inf,18)': 1, 'score[18,25.5)': 1 });
    expect(get('b', { age: 25.5, score: 1e9 })).toEqual({ 'age[25.5,35)': 1, 'score[35,inf)': 1 });
    expect(get('b', { age: -3 })).toEqual({ 'age[-inf,18)': 1 });
  });

  it('agrees with a linear scan for any sorted boundaries and value', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 12 }), fc.double({ noNaN: true, noDefaultInfinity: true }), (raw, v) => {
        const boundaries = [...raw].sort((a, b) => a - b).filter((b, i, all) => i === 0 || b > (all[i - 1] as number));
        let reference = 0;
        while (reference < boundaries.length && (boundaries[reference] as number) <= v) reference++;
        expect(bucketIndex(boundaries, v)).toBe(reference);
        expect(bucketLabels(boundaries)).toHaveLength(boundaries.length + 1);
      }),
      { seed: 101, numRuns: 300 },
    );
  });
});

describe('disjunction', () => {
  const transformers: TransformerConfig[] = [
    { name: 'a', kind: 'subset', inputs: ['src'], names: ['x', 'y'] },
    { name: 'b', kind: 'subset', inputs: ['src'], names: ['y', 'z'] },
    { name: 'sum', kind: 'disjunction', inputs: ['a', 'b'] },
    { name: 'first', kind: 'disjunction', inputs: ['b', 'a'], merge: 'first' },
  ];
  it('unions its inputs; shared names are summed, or keep the first value with merge "first"', () => {
    const get = componentOf(['x', 'y', 'z'], transformers);
    expect(get('sum', { x: 1, y: 2, z: 3 })).toEqual({ x: 1, y: 4, z: 3 });
    expect(get('first', { x: 1, y: 2, z: 3 })).toEqual({ x: 1, y: 2, z: 3 });
  });
});

describe('interaction', () => {
  it('crosses names and multiplies values', () => {
    const get = componentOf(
      ['country', 'age', 'tags'],
      [
        { name: 'left', kind: 'subset', inputs: ['src'], prefixes: ['country=', 'age'] },
        { name: 'right', kind: 'subset', inputs: ['src'], prefixes: ['tags='] },
        { name: 'x', kind: 'interaction', inputs: ['left', 'right'] },
        { name: 'y', kind: 'interaction', inputs: ['left', 'right'], separator: '*', prefix: 'c:' },
      ],
    );
    const raw = { country: 'us', age: 30, tags: ['a', 'b', 'b'] };
    expect(get('x', raw)).toEqual({ 'country=us&tags=a': 1, 'country=us&tags=b': 2, 'age&tags=a': 30, 'age&tags=b': 60 });
    expect(Object.keys(get('y', raw))).toContain('c:age*tags=b');
  });

  it('has |A|·|B| features whose values are the products', () => {
    const get = componentOf(['l', 'r'], [
      { name: 'left', kind: 'subset', inputs: ['src'], prefixes: ['l='] },
      { name: 'right', kind: 'subset', inputs: ['src'], prefixes: ['r='] },
      { name: 'x', kind: 'interaction', inputs: ['left', 'right'] },
    ]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 6 }), fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 6 }), (l, r) => {
        const out = get('x', { l, r });
        expect(Object.keys(out)).toHaveLength(l.length * r.length);
        for (const v of Object.values(out)) expect(v).toBe(1);
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});

describe('interaction names', () => {
  /** The one name interactFeatures gives the cross of a single left and a single right feature. */
  const nameOf = (left: string, right: string, separator: string, prefix = ''): string => {
    const names = [...interactFeatures(new Map([[left, 1]]), new Map([[right, 1]]), separator, prefix).keys()];
    expect(names).toHaveLength(1);
    return names[0] as string;
  };

  it('keeps crosses whose parts contain the separator apart', () => {
    const get = componentOf(['l', 'r'], [
      { name: 'left', kind: 'subset', inputs: ['src'], prefixes: ['l='] },
      { name: 'right', kind: 'subset', inputs: ['src'], prefixes: ['r='] },
      { name: 'x', kind: 'interaction', inputs: ['left', 'right'] },
    ]);
    // Unescaped, l=x × r=y&r=z and l=x&r=y × r=z would both be "l=x&r=y&r=z".
    expect(get('x', { l: ['x', 'x&r=y'], r: ['z', 'y&r=z'] })).toEqual({
      'l=x&r=z': 1,
      'l=x&r=y\\&r=z': 1,
      'l=x\\&r=y&r=z': 1,
      'l=x\\&r=y&r=y\\&r=z': 1,
    });
    expect(nameOf('a&b', 'c', '&')).not.toBe(nameOf('a', 'b&c', '&'));
    expect(nameOf('a\\', 'b', '&')).toBe('a\\\\&b');
    // A self-overlapping separator: "x_" + "__" + "y" would read as "x" + "__" + "_y".
    expect(nameOf('x_', 'y', '__')).toBe('x\\___y');
    expect(nameOf('x', '_y', '__')).toBe('x___y');
  });

  it('leaves names without the separator or a backslash byte-identical', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.constantFrom('&', '*', '|', '<>', '_x'), (l, r, separator) => {
        fc.pre(!l.includes('\\') && !r.includes('\\') && !l.includes(separator) && !r.includes(separator));
        expect(nameOf(l, r, separator, 'p:')).toBe(`p:${l}${separator}${r}`);
      }),
      { seed: 31, numRuns: 300 },
    );
  });

  it('gives distinct names to distinct (left, right) pairs, for any separator', () => {
    // A small alphabet with the separators' characters and the backslash, so parts often contain them.
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '&', '\\', ':', '*'), maxLength: 5 });
    fc.assert(
      fc.property(fc.constantFrom('&', '*', '::', 'a:a', 'ab', ':&'), fc.uniqueArray(fc.tuple(part, part), { minLength: 2, maxLength: 40, selector: ([l, r]) => `${l}\u0000${r}` }), (separator, pairs) => {
        const owner = new Map<string, [string, string]>();
        for (const [l, r] of pairs) {
          const name = nameOf(l, r, separator);
          const other = owner.get(name);
          if (other !== undefined) expect.fail(`${JSON.stringify([l, r])} and ${JSON.stringify(other)} are both named ${JSON.stringify(name)} with separator ${JSON.stringify(separator)}`);
          owner.set(name, [l, r]);
        }
      }),
      { seed: 32, numRuns: 400 },
    );
  });
});

describe('function', () => {
  const functions = FunctionRegistry.withBuiltins()
    .registerName('stem', (n) => n.replace(/s$/, ''))
    .registerFeatures('top1', (features) => {
      let best: [string, number] | undefined;
      for (const entry of features) if (best === undefined || entry[1] > best[1]) best = entry;
      return best === undefined ? [] : [best];
    });
  const get = componentOf(
    ['visits', 'clicks', 'Country'],
    [
      { name: 'counts', kind: 'subset', inputs: ['src'], names: ['visits', 'clicks'] },
      { name: 'log', kind: 'function', inputs: ['counts'], function: 'log1p', prefix: 'log:' },
      { name: 'lower', kind: 'function', inputs: ['src'], function: 'lowercase' },
      { name: 'stemmed', kind: 'function', inputs: ['counts'], function: 'stem' },
      { name: 'top', kind: 'function', inputs: ['counts'], function: 'top1' },
    ],
    { functions },
  );

  it('maps values (log1p), names (lowercase; collisions sum) and whole feature sets', () => {
    expect(get('log', { visits: 9, clicks: 0 })).toEqual({ 'log:visits': Math.log1p(9), 'log:clicks': 0 });
    expect(get('lower', { Country: 'US', visits: 1 })).toEqual({ 'country=us': 1, visits: 1 });
    expect(get('stemmed', { visits: 2, clicks: 3 })).toEqual({ visit: 2, click: 3 });
    expect(get('top', { visits: 2, clicks: 3 })).toEqual({ clicks: 3 });
  });

  it('reports a non-finite output with the function, the feature and its value', () => {
    expect(() => get('log', { visits: -2 })).toThrow('user feature "visits" (-2) gives NaN under function "log1p"');
  });

  it('refuses to register a name twice', () => {
    expect(() => FunctionRegistry.withBuiltins().registerValue('log1p', (v) => v)).toThrow('name ("log1p") is already registered');
  });
});
