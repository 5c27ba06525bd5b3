import { createHash } from 'node:crypto';
import {
  FEATURE_NAMESPACES,
  IndexedFeatureSpace,
  LaserError,
  checkInteger,
  checkKnownKeys,
  checkOneOf,
  emptySparseVector,
  invalidArgument,
  isLaserError,
  vectorize,
  type FeatureNamespace,
  type FeatureSpace,
  type SparseVector,
} from '@laserkit/core';
import { validatePipelineConfig, type MergeRule, type PipelineConfig, type SourceConfig, type TransformerConfig } from './config.js';
import { FunctionRegistry, type FeatureFunction } from './functions.js';
import { MemoLazy, settledLazy, type Lazy } from './lazy.js';
import type { FeatureProvider } from './providers.js';
import {
  applyFeatureFunction,
  bucketFeatures,
  bucketLabels,
  disjoinFeatures,
  encodeProviderFeatures,
  encodeRequestFields,
  interactFeatures,
  readRawField,
  subsetFeatures,
  type FeatureMap,
  type RawFieldValue,
} from './transforms.js';
import { assembleTrainingExample, type RawTrainingRecord, type TrainingExample } from './training-example.js';

export type ValuePrecision = 'float32' | 'float64';
export const VALUE_PRECISIONS: readonly ValuePrecision[] = ['float32', 'float64'];

export interface PipelineOptions {
  /** The model's feature space: names → columns per namespace (explicit map or hashing). */
  readonly space: FeatureSpace;
  /** Functions the config may name. @default FunctionRegistry.withBuiltins() */
  readonly functions?: FunctionRegistry;
  /** Async providers by the name the config's provider sources use. @default {} */
  readonly providers?: Readonly<Record<string, FeatureProvider>>;
  /**
   * Precision of the assembled values. The trainer stores feature values as float32, so
   * 'float32' (values rounded with Math.fround, held in the vector's Float64Array) makes serving
   * vectors bit-identical to the training rows. @default 'float32'
   */
  readonly valuePrecision?: ValuePrecision;
  /** Keys longer than this are replaced by their SHA-256 (128 bits, base64url) after the fingerprint and namespace. @default 256 */
  readonly maxKeyChars?: number;
}

export const DEFAULT_PIPELINE_OPTIONS = { valuePrecision: 'float32', maxKeyChars: 256 } as const satisfies Omit<PipelineOptions, 'space'>;

/** A compiled source or transformer. `sources` are the indices of the sources it depends on, in config order. */
type Node = SourceNode | TransformerNode;
interface NodeBase {
  readonly name: string;
  readonly namespace: FeatureNamespace;
  readonly sources: readonly number[];
}
interface SourceNode extends NodeBase {
  readonly role: 'source';
  readonly config: SourceConfig;
  readonly prefix: string;
  readonly categorical: ReadonlySet<string>;
  readonly provider: FeatureProvider | undefined;
}
interface TransformerNode extends NodeBase {
  readonly role: 'transformer';
  readonly inputs: readonly number[];
  readonly run: (inputs: readonly FeatureMap[]) => Map<string, number>;
}

/** What one Lazy needs: its sources (keyed), the nodes to run in order, and the outputs. */
interface Plan {
  readonly namespace: FeatureNamespace;
  /** Key prefix: fingerprint, namespace and, for a single component, its name. */
  readonly keyHead: string;
  readonly sources: readonly number[];
  readonly nodes: readonly number[];
  readonly outputs: readonly number[];
  readonly merge: MergeRule;
  readonly hasProvider: boolean;
}

/** The per-source payload a key is made of: a provider's entity id, or a request source's field values. */
type SourcePayload = string | readonly RawFieldValue[];

/**
 * LASER's feature pipeline (WSDM 2014 §4.1) compiled from a configuration: sources →
 * transformers → one assembler per namespace. Every component yields a keyed lazy value: the key
 * is computed from the raw request alone (no I/O, no thunk), the content only when asked for.
 * The same pipeline builds training examples (assembleExample) and serving vectors (assemble).
 */
export class FeaturePipeline {
  readonly config: PipelineConfig;
  readonly space: FeatureSpace;
  readonly valuePrecision: ValuePrecision;
  /** 64-bit hex digest of the config, the space, the functions' versions, the providers' names and the precision; the head of every key. */
  readonly fingerprint: string;
  /** Namespaces with an assembler; the others assemble to the empty vector. */
  readonly namespaces: readonly FeatureNamespace[];
  private readonly maxKeyChars: number;
  private readonly nodes: readonly Node[];
  private readonly byName: ReadonlyMap<string, number>;
  private readonly assemblerPlans: Partial<Record<FeatureNamespace, Plan>>;
  private readonly componentPlans = new Map<string, Plan>();

  private constructor(config: PipelineConfig, options: PipelineOptions) {
    this.config = config;
    this.space = options.space;
    this.valuePrecision = options.valuePrecision ?? DEFAULT_PIPELINE_OPTIONS.valuePrecision;
    this.maxKeyChars = options.maxKeyChars ?? DEFAULT_PIPELINE_OPTIONS.maxKeyChars;
    const functions = options.functions ?? FunctionRegistry.withBuiltins();
    const providers = options.providers ?? {};
    const nodes: Node[] = [];
    const byName = new Map<string, number>();
    const usedFunctions: Record<string, string> = {};
    const usedProviders: Record<string, string> = {};

    config.sources.forEach((s, i) => {
      let provider: FeatureProvider | undefined;
      if (s.kind === 'provider') {
        provider = Object.hasOwn(providers, s.provider) ? providers[s.provider] : undefined;
        if (provider === undefined) {
          throw invalidArgument(`sources[${i}].provider`, s.provider, 'must name a provider in options.providers', `known providers: ${Object.keys(providers).join(', ') || '(none)'}`);
        }
        usedProviders[s.provider] = provider.name;
      }
      byName.set(s.name, nodes.length);
      nodes.push({
        role: 'source',
        name: s.name,
        namespace: s.namespace,
        sources: [i],
        config: s,
        prefix: s.prefix ?? '',
        categorical: new Set(s.kind === 'request' ? (s.categorical ?? []) : []),
        provider,
      });
    });

    (config.transformers ?? []).forEach((t, i) => {
      const inputs = t.inputs.map((n) => byName.get(n) as number);
      const first = nodes[inputs[0] as number] as Node;
      const sources = [...new Set(inputs.flatMap((k) => (nodes[k] as Node).sources))].sort((a, b) => a - b);
      let fn: FeatureFunction | undefined;
      if (t.kind === 'function') {
        fn = functions.get(t.function);
        if (fn === undefined) throw invalidArgument(`transformers[${i}].function`, t.function, 'must name a function in options.functions', `registered: ${functions.names().join(', ') || '(none)'}`);
        // The function's source text too: a fix without a version bump must still change every key.
        usedFunctions[t.function] = `${fn.kind}@${fn.version}@${fn.apply.toString()}`;
      }
      byName.set(t.name, nodes.length);
      nodes.push({ role: 'transformer', name: t.name, namespace: first.namespace, sources, inputs, run: compileTransformer(t, fn, first.namespace) });
    });

    this.nodes = nodes;
    this.byName = byName;
    this.fingerprint = fingerprintOf({
      config: normalizeConfig(config),
      space: spaceDescription(options.space),
      functions: usedFunctions,
      providers: usedProviders,
      valuePrecision: this.valuePrecision,
    });
    const plans: Partial<Record<FeatureNamespace, Plan>> = {};
    for (const a of config.assemblers) {
      plans[a.namespace] = this.plan(
        a.namespace,
        `${this.fingerprint}:${a.namespace}:`,
        a.inputs.map((n) => byName.get(n) as number),
        a.merge ?? 'sum',
      );
    }
    this.assemblerPlans = plans;
    this.namespaces = FEATURE_NAMESPACES.filter((ns) => plans[ns] !== undefined);
  }

  /**
   * Validates the configuration (JSON or typed object) against the language and the options
   * (provider and function names) and compiles it. Errors name path, value and constraint.
   */
  static fromConfig(config: PipelineConfig, options: PipelineOptions): FeaturePipeline {
    checkPipelineOptions(options);
    // A frozen copy: changing the caller's object later cannot change vectors behind a fingerprint.
    return new FeaturePipeline(deepFreeze(structuredClone(validatePipelineConfig(config))), options);
  }

  /**
   * The keyed lazy feature vector of one namespace for one raw input (e.g. raw = { id: "u42",
   * age: 31, country: "us" }). Building it does no I/O: the key is made of the pipeline
   * fingerprint, the namespace and the raw values the namespace's sources read (entity ids,
   * request fields). get() runs sources/providers and transformers. The vector's dimension
   * equals space.dimension(namespace). Bad raw values (wrong type, missing entity id) throw here.
   */
  assemble(namespace: FeatureNamespace, raw: Readonly<Record<string, unknown>>): Lazy<SparseVector> {
    checkOneOf('namespace', namespace, FEATURE_NAMESPACES);
    const plan = this.assemblerPlans[namespace];
    if (plan === undefined) {
      return settledLazy(`${this.fingerprint}:${namespace}:-`, emptySparseVector(this.space.dimension(namespace)));
    }
    const payloads = this.payloads(plan, raw);
    return new MemoLazy(this.keyOf(plan, payloads), () => {
      const evaluated = this.evaluate(plan, payloads);
      return evaluated instanceof Promise ? evaluated.then((maps) => this.vectorOf(plan, maps)) : this.vectorOf(plan, evaluated);
    });
  }

  /** The keyed lazy named features of one source or transformer (for inspection and finer caching). */
  component(name: string, raw: Readonly<Record<string, unknown>>): Lazy<FeatureMap> {
    const plan = this.componentPlan(name);
    const payloads = this.payloads(plan, raw);
    const out = plan.outputs[0] as number;
    return new MemoLazy(this.keyOf(plan, payloads), () => {
      const evaluated = this.evaluate(plan, payloads);
      return evaluated instanceof Promise ? evaluated.then((maps) => maps[out] as FeatureMap) : (evaluated[out] as FeatureMap);
    });
  }

  /** The named features an assembler sees before vectorizing (merged outputs), for inspection. */
  async namedFeatures(namespace: FeatureNamespace, raw: Readonly<Record<string, unknown>>): Promise<FeatureMap> {
    checkOneOf('namespace', namespace, FEATURE_NAMESPACES);
    const plan = this.assemblerPlans[namespace];
    if (plan === undefined) return new Map();
    const maps = await this.evaluate(plan, this.payloads(plan, raw));
    return disjoinFeatures(
      plan.outputs.map((k) => maps[k] as FeatureMap),
      plan.merge,
      '',
    );
  }

  /** Training side: one raw record (label, user/ad/context raw inputs, entities) → vectors through the same assemble() path. */
  assembleExample(record: RawTrainingRecord): Promise<TrainingExample> {
    return assembleTrainingExample(this, record);
  }

  /** Column count per namespace, from the space. */
  dimensions(): Readonly<Record<FeatureNamespace, number>> {
    return { user: this.space.dimension('user'), ad: this.space.dimension('ad'), context: this.space.dimension('context') };
  }

  /**
   * The space in which the training files written by this package name their features (columns
   * as decimal names): pass it as `featureSpace` to the trainer's readTrainingSet for JSON Lines.
   */
  trainingFeatureSpace(): IndexedFeatureSpace {
    return new IndexedFeatureSpace(this.dimensions());
  }

  private componentPlan(name: string): Plan {
    const cached = this.componentPlans.get(name);
    if (cached !== undefined) return cached;
    const index = this.byName.get(name);
    if (index === undefined) throw invalidArgument('name', name, 'must name a source or transformer of the pipeline', `known: ${[...this.byName.keys()].join(', ')}`);
    const node = this.nodes[index] as Node;
    const plan = this.plan(node.namespace, `${this.fingerprint}:${node.namespace}/${name}:`, [index], 'sum');
    this.componentPlans.set(name, plan);
    return plan;
  }

  /** Collects the nodes the outputs depend on, in config order (which is topological: inputs only look back). */
  private plan(namespace: FeatureNamespace, keyHead: string, outputs: readonly number[], merge: MergeRule): Plan {
    const needed = new Set<number>();
    const visit = (k: number): void => {
      if (needed.has(k)) return;
      needed.add(k);
      const node = this.nodes[k] as Node;
      if (node.role === 'transformer') for (const i of node.inputs) visit(i);
    };
    for (const k of outputs) visit(k);
    const nodes = [...needed].sort((a, b) => a - b);
    const sources = nodes.filter((k) => (this.nodes[k] as Node).role === 'source');
    const hasProvider = sources.some((k) => (this.nodes[k] as SourceNode).provider !== undefined);
    return { namespace, keyHead, sources, nodes, outputs, merge, hasProvider };
  }

  /** Reads and checks the raw values the plan's sources depend on: this is all a key is made of. */
  private payloads(plan: Plan, raw: Readonly<Record<string, unknown>>): SourcePayload[] {
    if (raw === null || typeof raw !== 'object') throw invalidArgument(plan.namespace, raw, 'must be an object of raw fields');
    const out: SourcePayload[] = [];
    for (const k of plan.sources) {
      const node = this.nodes[k] as SourceNode;
      const s = node.config;
      if (s.kind === 'request') {
        out.push(s.fields.map((f) => readRawField(plan.namespace, raw, f)));
      } else {
        const idField = s.idField ?? 'id';
        const id = Object.hasOwn(raw, idField) ? raw[idField] : undefined;
        if (!((typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id)))) {
          throw invalidArgument(`${plan.namespace}.${idField}`, id, `must be a non-empty string or a finite number: source "${s.name}" fetches provider "${s.provider}" by it`);
        }
        out.push(String(id));
      }
    }
    return out;
  }

  /**
   * The key: fingerprint, namespace (and component) and the JSON of the source payloads. JSON is
   * injective on these values, so different payloads give different keys; long keys are hashed
   * with SHA-256, whose collisions are practically impossible.
   */
  private keyOf(plan: Plan, payloads: readonly SourcePayload[]): string {
    const body = JSON.stringify(payloads);
    if (plan.keyHead.length + body.length <= this.maxKeyChars) return plan.keyHead + body;
    return `${plan.keyHead}#${createHash('sha256').update(body).digest('base64url').slice(0, 22)}`;
  }

  /** Runs the plan; synchronous unless a provider source is involved. */
  private evaluate(plan: Plan, payloads: readonly SourcePayload[]): FeatureMap[] | Promise<FeatureMap[]> {
    const maps: FeatureMap[] = new Array<FeatureMap>(this.nodes.length);
    const fetches: Promise<void>[] = [];
    plan.sources.forEach((k, i) => {
      const node = this.nodes[k] as SourceNode;
      const payload = payloads[i] as SourcePayload;
      if (node.config.kind === 'request') {
        maps[k] = encodeRequestFields(node.config.fields, payload as readonly RawFieldValue[], node.categorical, node.prefix);
      } else {
        const provider = node.provider as FeatureProvider;
        const id = payload as string;
        fetches.push(fetchFrom(provider, node.name, id).then((features) => {
          maps[k] = encodeProviderFeatures(provider.name, id, features, node.prefix);
        }));
      }
    });
    const runTransformers = (): FeatureMap[] => {
      for (const k of plan.nodes) {
        const node = this.nodes[k] as Node;
        if (node.role === 'transformer') maps[k] = node.run(node.inputs.map((i) => maps[i] as FeatureMap));
      }
      return maps;
    };
    return fetches.length === 0 ? runTransformers() : Promise.all(fetches).then(runTransformers);
  }

  private vectorOf(plan: Plan, maps: readonly FeatureMap[]): SparseVector {
    const merged =
      plan.outputs.length === 1
        ? (maps[plan.outputs[0] as number] as FeatureMap)
        : disjoinFeatures(
            plan.outputs.map((k) => maps[k] as FeatureMap),
            plan.merge,
            '',
          );
    // A prototype-free record, so a feature named "__proto__" is just a name.
    const record = Object.create(null) as Record<string, number>;
    for (const [name, value] of merged) record[name] = value;
    const { vector } = vectorize(this.space, plan.namespace, record);
    if (this.valuePrecision === 'float32') {
      const values = vector.values;
      for (let i = 0; i < values.length; i++) {
        const v = Math.fround(values[i] as number);
        if (!Number.isFinite(v)) throw invalidArgument(`${plan.namespace}[column ${vector.indices[i]}]`, values[i], 'must fit in float32 (|value| <= 3.4e38)', 'scale the feature or use valuePrecision "float64"');
        values[i] = v;
      }
    }
    return vector;
  }
}

async function fetchFrom(provider: FeatureProvider, source: string, id: string): Promise<Readonly<Record<string, number>>> {
  try {
    return await provider.fetch(id);
  } catch (e) {
    if (isLaserError(e)) throw e;
    throw new LaserError('SERVICE_UNAVAILABLE', `provider "${provider.name}" (source "${source}") failed for id ${JSON.stringify(id)}: ${(e as Error)?.message ?? String(e)}`, {
      cause: e,
      details: { provider: provider.name, source, id },
    });
  }
}

function compileTransformer(t: TransformerConfig, fn: FeatureFunction | undefined, namespace: FeatureNamespace): (inputs: readonly FeatureMap[]) => Map<string, number> {
  const prefix = t.prefix ?? '';
  switch (t.kind) {
    case 'subset': {
      const names = new Set(t.names ?? []);
      const prefixes = [...(t.prefixes ?? [])];
      return (inputs) => subsetFeatures(inputs[0] as FeatureMap, names, prefixes, prefix);
    }
    case 'bucketing': {
      const boundaries = [...t.boundaries];
      const labels = bucketLabels(boundaries);
      return (inputs) => bucketFeatures(inputs[0] as FeatureMap, boundaries, labels, prefix);
    }
    case 'disjunction': {
      const merge = t.merge ?? 'sum';
      return (inputs) => disjoinFeatures(inputs, merge, prefix);
    }
    case 'interaction': {
      const separator = t.separator ?? '&';
      return (inputs) => interactFeatures(inputs[0] as FeatureMap, inputs[1] as FeatureMap, separator, prefix);
    }
    case 'function': {
      const f = fn as FeatureFunction;
      return (inputs) => applyFeatureFunction(t.function, f, inputs[0] as FeatureMap, prefix, namespace);
    }
  }
}

function checkPipelineOptions(options: PipelineOptions): void {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object with at least { space }');
  checkKnownKeys('options', options, ['space', 'functions', 'providers', 'valuePrecision', 'maxKeyChars']);
  const space = options.space as FeatureSpace | undefined;
  if (space === null || typeof space !== 'object' || typeof space.dimension !== 'function' || typeof space.indexOf !== 'function') {
    throw invalidArgument('options.space', space, 'must be a FeatureSpace (FeatureIndexMap, FeatureHasher, IndexedFeatureSpace)');
  }
  if (options.functions !== undefined && !(options.functions instanceof FunctionRegistry)) throw invalidArgument('options.functions', options.functions, 'must be a FunctionRegistry');
  if (options.providers !== undefined) {
    if (options.providers === null || typeof options.providers !== 'object') throw invalidArgument('options.providers', options.providers, 'must be an object of name: FeatureProvider');
    for (const [name, p] of Object.entries(options.providers)) {
      if (p === null || typeof p !== 'object' || typeof p.fetch !== 'function' || typeof p.name !== 'string' || p.name.length === 0) {
        throw invalidArgument(`options.providers.${name}`, p, 'must be a FeatureProvider (a non-empty name and a fetch(id) method)');
      }
    }
  }
  if (options.valuePrecision !== undefined) checkOneOf('options.valuePrecision', options.valuePrecision, VALUE_PRECISIONS);
  if (options.maxKeyChars !== undefined) checkInteger('options.maxKeyChars', options.maxKeyChars, 64, 1_000_000);
}

/** The config with defaults filled in, so `{}` and `{"merge": "sum"}` fingerprint alike. */
function normalizeConfig(config: PipelineConfig): unknown {
  return {
    version: 1,
    sources: config.sources.map((s) =>
      s.kind === 'request'
        ? { kind: s.kind, name: s.name, prefix: s.prefix ?? '', namespace: s.namespace, fields: s.fields, categorical: [...(s.categorical ?? [])].sort() }
        : { kind: s.kind, name: s.name, prefix: s.prefix ?? '', namespace: s.namespace, provider: s.provider, idField: s.idField ?? 'id' },
    ),
    transformers: (config.transformers ?? []).map((t) => {
      const base = { kind: t.kind, name: t.name, prefix: t.prefix ?? '', inputs: t.inputs };
      switch (t.kind) {
        case 'subset':
          return { ...base, names: [...(t.names ?? [])].sort(), prefixes: [...(t.prefixes ?? [])].sort() };
        case 'bucketing':
          return { ...base, boundaries: t.boundaries };
        case 'disjunction':
          return { ...base, merge: t.merge ?? 'sum' };
        case 'interaction':
          return { ...base, separator: t.separator ?? '&' };
        case 'function':
          return { ...base, function: t.function };
      }
    }),
    assemblers: [...config.assemblers]
      .map((a) => ({ namespace: a.namespace, inputs: a.inputs, merge: a.merge ?? 'sum' }))
      .sort((a, b) => FEATURE_NAMESPACES.indexOf(a.namespace) - FEATURE_NAMESPACES.indexOf(b.namespace)),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function spaceDescription(space: FeatureSpace): unknown {
  const dims = { user: space.dimension('user'), ad: space.dimension('ad'), context: space.dimension('context') };
  const json = (space as { toJSON?: () => unknown }).toJSON;
  // Two spaces with the same sizes but different vocabularies must not share keys.
  if (typeof json !== 'function') throw invalidArgument('options.space', space.kind, 'must have toJSON() describing its vocabulary (the key fingerprint covers it): use FeatureIndexMap, FeatureHasher or IndexedFeatureSpace');
  return { json: json.call(space), dims };
}

/** SHA-256 of the canonical JSON (object keys sorted), first 64 bits in hex. */
function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
