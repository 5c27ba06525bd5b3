import { FEATURE_NAMESPACES, invalidArgument, isFeatureNamespace, readJsonFile, type FeatureNamespace } from '@laserkit/core';

/**
 * The pipeline configuration language of LASER (Agarwal et al., WSDM 2014 §4.1): sources produce
 * named features, transformers derive new named features from earlier components, and one
 * assembler per namespace turns the chosen components into the model's sparse vector. The same
 * types describe a JSON file and a typed TypeScript object.
 */
export interface PipelineConfig {
  /** Format version of this language. @default 1 */
  readonly version?: 1;
  readonly sources: readonly SourceConfig[];
  readonly transformers?: readonly TransformerConfig[];
  /** At most one per namespace; a namespace without one assembles to the empty vector. */
  readonly assemblers: readonly AssemblerConfig[];
}

export type SourceConfig = RequestSourceConfig | ProviderSourceConfig;

interface ComponentBase {
  /** Unique among sources and transformers: letters, digits, `_`, `-`, `.`; starts with a letter or `_`. */
  readonly name: string;
  /** Prepended to every output feature name, to keep components apart in the assembled vector. @default "" */
  readonly prefix?: string;
}

/**
 * Named features read from the raw request of one namespace. A number becomes `field` with that
 * value, a string `field=value` with value 1, `true` becomes `field` = 1 (`false` adds nothing), an
 * array of strings or numbers one `field=element` per element; null and missing fields add nothing.
 */
export interface RequestSourceConfig extends ComponentBase {
  readonly kind: 'request';
  readonly namespace: FeatureNamespace;
  /** The raw fields read, in order. No "=" in a field name: it ends the field in `field=value`. */
  readonly fields: readonly string[];
  /** Fields (among `fields`) whose numbers are categories (`hour=13` = 1) rather than values. @default [] */
  readonly categorical?: readonly string[];
}

/**
 * Named features fetched from an async provider (a user-profile store, for example) under the
 * entity id found in the raw field `idField`.
 */
export interface ProviderSourceConfig extends ComponentBase {
  readonly kind: 'provider';
  readonly namespace: FeatureNamespace;
  /** A key of `PipelineOptions.providers`. */
  readonly provider: string;
  /** The raw field holding the entity id (a non-empty string or a finite number). @default "id" */
  readonly idField?: string;
}

export type TransformerConfig = SubsetConfig | BucketingConfig | DisjunctionConfig | InteractionConfig | FunctionTransformerConfig;

interface TransformerBase extends ComponentBase {
  /** Names of sources or earlier transformers, all of one namespace. */
  readonly inputs: readonly string[];
}

/** Keeps the features whose name is listed in `names` or starts with one of `prefixes`. */
export interface SubsetConfig extends TransformerBase {
  readonly kind: 'subset';
  readonly names?: readonly string[];
  readonly prefixes?: readonly string[];
}

/**
 * One-hot bucketing of numeric features: boundaries b_0 < ... < b_{k-1} cut the line into k + 1
 * buckets [b_{i-1}, b_i); feature `age` = 31 with boundaries [18, 25, 35] becomes `age[25,35)` = 1.
 */
export interface BucketingConfig extends TransformerBase {
  readonly kind: 'bucketing';
  readonly boundaries: readonly number[];
}

/**
 * The union of several distinct inputs (an input listed twice is a config error); a name present
 * in more than one input gets the sum of its values, or the first input's value with `merge: "first"`.
 */
export interface DisjunctionConfig extends TransformerBase {
  readonly kind: 'disjunction';
  /** @default "sum" */
  readonly merge?: MergeRule;
}

/**
 * The cross product of two inputs (possibly the same one twice): `a&b` with value a·b for every
 * feature a of the first and b of the second.
 *
 * Distinct pairs always get distinct names: in each part, a backslash becomes `\\` and the
 * separator gets a backslash before it, so `a&b` × `c` is `a\&b&c` and `a` × `b&c` is `a&b\&c`.
 * A part with neither keeps its exact bytes (names, and so trained models, stay as they were).
 * With a multi-character separator that can overlap itself (e.g. `__` or `::`), a first part
 * whose end would run into the separator also gets a backslash there (`x_` × `y` is `x\___y`, not
 * `x___y`, which is `x` × `_y`).
 */
export interface InteractionConfig extends TransformerBase {
  readonly kind: 'interaction';
  /** Joins the two names; no backslash (it escapes the separator in the parts). @default "&" */
  readonly separator?: string;
}

/** A function from the `FunctionRegistry`, applied to the features of its single input. */
export interface FunctionTransformerConfig extends TransformerBase {
  readonly kind: 'function';
  readonly function: string;
}

export type MergeRule = 'sum' | 'first';
export const MERGE_RULES: readonly MergeRule[] = ['sum', 'first'];

/** Maps the chosen components of one namespace into the model's feature space (duplicates merged as in a disjunction). */
export interface AssemblerConfig {
  readonly namespace: FeatureNamespace;
  /** Distinct components of this namespace, as for a disjunction. */
  readonly inputs: readonly string[];
  /** @default "sum" */
  readonly merge?: MergeRule;
}

export const SOURCE_KINDS = ['request', 'provider'] as const;
export const TRANSFORMER_KINDS = ['subset', 'bucketing', 'disjunction', 'interaction', 'function'] as const;

/** Identity, so a TypeScript config gets checked against the types where it is written. */
export function definePipelineConfig<const T extends PipelineConfig>(config: T): T {
  return config;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Checks a configuration (parsed JSON or a TS object) and returns it typed. The first problem
 * throws an INVALID_ARGUMENT LaserError naming its path, value and constraint, e.g.
 * `transformers[2].inputs[0] ("agee") must name a source or an earlier transformer`.
 * Provider and function names are checked later, against the options, by FeaturePipeline.fromConfig.
 */
export function validatePipelineConfig(config: unknown): PipelineConfig {
  const root = expectObject('config', config);
  knownKeys('config', root, ['version', 'sources', 'transformers', 'assemblers']);
  if (root.version !== undefined && root.version !== 1) throw invalidArgument('version', root.version, 'must be 1');
  const sources = expectArray('sources', root.sources);
  if (sources.length === 0) throw invalidArgument('sources', sources, 'must list at least one source');
  const transformers = root.transformers === undefined ? [] : expectArray('transformers', root.transformers);
  const assemblers = expectArray('assemblers', root.assemblers);
  if (assemblers.length === 0) throw invalidArgument('assemblers', assemblers, 'must list at least one assembler');

  // Where each name is defined and its namespace, filled in order so inputs can only look back.
  const defined = new Map<string, { path: string; namespace: FeatureNamespace }>();
  const laterTransformers = new Map<string, number>();
  transformers.forEach((t, i) => {
    const name = (t as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && !laterTransformers.has(name)) laterTransformers.set(name, i);
  });

  sources.forEach((s, i) => {
    const path = `sources[${i}]`;
    const o = expectObject(path, s);
    const kind = oneOf(`${path}.kind`, o.kind, SOURCE_KINDS);
    const name = componentName(`${path}.name`, o.name, defined);
    optionalString(`${path}.prefix`, o.prefix);
    const namespace = expectNamespace(`${path}.namespace`, o.namespace);
    if (kind === 'request') {
      knownKeys(path, o, ['kind', 'name', 'prefix', 'namespace', 'fields', 'categorical']);
      const fields = stringList(`${path}.fields`, o.fields, { nonEmpty: true, unique: true });
      fields.forEach((f, j) => fieldWithoutEquals(`${path}.fields[${j}]`, f));
      if (o.categorical !== undefined) {
        stringList(`${path}.categorical`, o.categorical, { unique: true }).forEach((f, j) => {
          fieldWithoutEquals(`${path}.categorical[${j}]`, f);
          if (!fields.includes(f)) throw invalidArgument(`${path}.categorical[${j}]`, f, `must be one of ${path}.fields`, `known fields: ${fields.join(', ')}`);
        });
      }
    } else {
      knownKeys(path, o, ['kind', 'name', 'prefix', 'namespace', 'provider', 'idField']);
      nonEmptyString(`${path}.provider`, o.provider);
      if (o.idField !== undefined) nonEmptyString(`${path}.idField`, o.idField);
    }
    defined.set(name, { path, namespace });
  });

  transformers.forEach((t, i) => {
    const path = `transformers[${i}]`;
    const o = expectObject(path, t);
    const kind = oneOf(`${path}.kind`, o.kind, TRANSFORMER_KINDS);
    const name = componentName(`${path}.name`, o.name, defined);
    optionalString(`${path}.prefix`, o.prefix);
    const base = ['kind', 'name', 'prefix', 'inputs'];
    // A disjunction merges its inputs, so a repeated one would be merged with itself; an
    // interaction may cross an input with itself (a × a).
    const inputs = stringList(`${path}.inputs`, o.inputs, { nonEmpty: true, unique: kind === 'disjunction', duplicate: MERGED_INPUTS });
    const arity: Record<(typeof TRANSFORMER_KINDS)[number], [number, number, string]> = {
      subset: [1, 1, 'exactly one input'],
      bucketing: [1, 1, 'exactly one input'],
      function: [1, 1, 'exactly one input'],
      interaction: [2, 2, 'exactly two inputs'],
      disjunction: [2, Infinity, 'at least two inputs'],
    };
    const [min, max, text] = arity[kind];
    if (inputs.length < min || inputs.length > max) throw invalidArgument(`${path}.inputs`, inputs, `must hold ${text} for a ${kind} transformer`);
    const namespace = resolveInputs(path, name, inputs, defined, laterTransformers, transformers);
    switch (kind) {
      case 'subset': {
        knownKeys(path, o, [...base, 'names', 'prefixes']);
        const names = o.names === undefined ? [] : stringList(`${path}.names`, o.names, { unique: true });
        const prefixes = o.prefixes === undefined ? [] : stringList(`${path}.prefixes`, o.prefixes, { unique: true });
        if (names.length === 0 && prefixes.length === 0) throw invalidArgument(`${path}.names`, o.names, 'or prefixes must list at least one feature name or prefix for a subset');
        break;
      }
      case 'bucketing': {
        knownKeys(path, o, [...base, 'boundaries']);
        const b = expectArray(`${path}.boundaries`, o.boundaries);
        if (b.length === 0) throw invalidArgument(`${path}.boundaries`, b, 'must hold at least one boundary');
        b.forEach((v, j) => {
          if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`${path}.boundaries[${j}]`, v, 'must be a finite number');
          if (j > 0 && v <= (b[j - 1] as number)) throw invalidArgument(`${path}.boundaries[${j}]`, v, `must be greater than boundaries[${j - 1}] (${String(b[j - 1])})`);
        });
        break;
      }
      case 'disjunction':
        knownKeys(path, o, [...base, 'merge']);
        if (o.merge !== undefined) oneOf(`${path}.merge`, o.merge, MERGE_RULES);
        break;
      case 'interaction':
        knownKeys(path, o, [...base, 'separator']);
        if (o.separator !== undefined && nonEmptyString(`${path}.separator`, o.separator).includes('\\')) {
          throw invalidArgument(`${path}.separator`, o.separator, 'must not contain a backslash: it escapes the separator inside crossed names');
        }
        break;
      case 'function':
        knownKeys(path, o, [...base, 'function']);
        nonEmptyString(`${path}.function`, o.function);
        break;
    }
    defined.set(name, { path, namespace });
  });

  const seen = new Map<FeatureNamespace, number>();
  assemblers.forEach((a, i) => {
    const path = `assemblers[${i}]`;
    const o = expectObject(path, a);
    knownKeys(path, o, ['namespace', 'inputs', 'merge']);
    const namespace = expectNamespace(`${path}.namespace`, o.namespace);
    const earlier = seen.get(namespace);
    if (earlier !== undefined) throw invalidArgument(`${path}.namespace`, namespace, `duplicates assemblers[${earlier}].namespace: one assembler per namespace`);
    seen.set(namespace, i);
    const inputs = stringList(`${path}.inputs`, o.inputs, { nonEmpty: true, unique: true, duplicate: MERGED_INPUTS });
    inputs.forEach((input, j) => {
      const def = defined.get(input);
      if (def === undefined) throw invalidArgument(`${path}.inputs[${j}]`, input, 'must name a source or a transformer', `known: ${[...defined.keys()].join(', ')}`);
      if (def.namespace !== namespace) throw invalidArgument(`${path}.inputs[${j}]`, input, `must be a ${namespace} component (${def.path} is ${def.namespace})`);
    });
    if (o.merge !== undefined) oneOf(`${path}.merge`, o.merge, MERGE_RULES);
  });
  return config as PipelineConfig;
}

/** Reads and validates a JSON configuration file (a leading UTF-8 byte order mark is skipped); a parse error names the file. */
export function loadPipelineConfig(path: string): Promise<PipelineConfig> {
  // The executor's throws become rejections, as from the async function this was.
  return new Promise((resolve) => resolve(validatePipelineConfig(readJsonFile(path, 'pipeline config'))));
}

function resolveInputs(
  path: string,
  self: string,
  inputs: readonly string[],
  defined: ReadonlyMap<string, { path: string; namespace: FeatureNamespace }>,
  laterTransformers: ReadonlyMap<string, number>,
  transformers: readonly unknown[],
): FeatureNamespace {
  let namespace: FeatureNamespace | undefined;
  let first = '';
  inputs.forEach((input, j) => {
    const field = `${path}.inputs[${j}]`;
    const def = defined.get(input);
    if (def === undefined) {
      const cycle = input === self ? [self, self] : findCycle(input, self, laterTransformers, transformers);
      if (cycle !== undefined) throw invalidArgument(field, input, `forms a cycle (${cycle.join(' -> ')}): inputs must name a source or an earlier transformer`);
      const later = laterTransformers.get(input);
      throw invalidArgument(
        field,
        input,
        'must name a source or an earlier transformer',
        later === undefined ? `known so far: ${[...defined.keys()].join(', ')}` : `"${input}" is defined later, at transformers[${later}]; move it before ${path}`,
      );
    }
    if (namespace === undefined) {
      namespace = def.namespace;
      first = input;
    } else if (def.namespace !== namespace) {
      throw invalidArgument(field, input, `must be in the namespace of inputs[0] ("${first}", ${namespace}), not ${def.namespace}: a transformer combines one namespace`);
    }
  });
  return namespace as FeatureNamespace;
}

/** Follows a forward reference through later transformers; returns the cycle back to `self`, if any. */
function findCycle(start: string, self: string, later: ReadonlyMap<string, number>, transformers: readonly unknown[]): string[] | undefined {
  const visit = (name: string, trail: string[]): string[] | undefined => {
    if (name === self) return [...trail, name];
    if (trail.includes(name)) return undefined;
    const at = later.get(name);
    if (at === undefined) return undefined;
    const inputs = (transformers[at] as { inputs?: unknown } | null)?.inputs;
    if (!Array.isArray(inputs)) return undefined;
    for (const next of inputs) {
      if (typeof next !== 'string') continue;
      const found = visit(next, [...trail, name]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(start, [self]);
}

function expectObject(path: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(path, value, 'must be an object');
  return value as Record<string, unknown>;
}

function expectArray(path: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw invalidArgument(path, value, 'must be an array');
  return value;
}

function knownKeys(path: string, o: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw invalidArgument(`${path}.${key}`, o[key], 'is not a known field', `known fields: ${known.join(', ')}`);
  }
}

function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidArgument(path, value, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

function expectNamespace(path: string, value: unknown): FeatureNamespace {
  if (!isFeatureNamespace(value)) throw invalidArgument(path, value, `must be a feature namespace (${FEATURE_NAMESPACES.join(', ')})`);
  return value;
}

function nonEmptyString(path: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(path, value, 'must be a non-empty string');
  return value;
}

function optionalString(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') throw invalidArgument(path, value, 'must be a string');
}

function componentName(path: string, value: unknown, defined: ReadonlyMap<string, { path: string }>): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw invalidArgument(path, value, 'must be a name of letters, digits, "_", "-" or "." starting with a letter or "_"');
  }
  const earlier = defined.get(value);
  if (earlier !== undefined) throw invalidArgument(path, value, `duplicates ${earlier.path}.name: component names are unique`);
  return value;
}

/** Why merged inputs (a disjunction's, an assembler's) must be distinct. */
const MERGED_INPUTS = 'inputs must be distinct: a repeated input would be merged with itself (counted twice with merge "sum")';

/** `duplicate` explains a repeated entry when `unique`; the default just names the first one. */
function stringList(path: string, value: unknown, { nonEmpty = false, unique = false, duplicate = '' } = {}): string[] {
  const list = expectArray(path, value);
  if (nonEmpty && list.length === 0) throw invalidArgument(path, list, 'must not be empty');
  const seen = new Map<string, number>();
  list.forEach((v, j) => {
    if (typeof v !== 'string' || v.length === 0) throw invalidArgument(`${path}[${j}]`, v, 'must be a non-empty string');
    const at = seen.get(v);
    if (unique && at !== undefined) throw invalidArgument(`${path}[${j}]`, v, `duplicates ${path}[${at}]${duplicate === '' ? '' : `: ${duplicate}`}`);
    seen.set(v, j);
  });
  return list as string[];
}

/**
 * Request features are named `field=value`: with "=" allowed in a field, field "a=b" with value
 * "c" and field "a" with value "b=c" would both be "a=b=c". Values may hold "=" (the first one
 * ends the field).
 */
function fieldWithoutEquals(path: string, field: string): void {
  if (field.includes('=')) {
    throw invalidArgument(path, field, 'must not contain "=": request features are named field=value, so the first "=" must end the field', 'rename the raw field');
  }
}
