import { invalidArgument } from '@laserkit/core';

/** Maps one feature value; the feature keeps its name. */
export interface ValueFunction {
  readonly kind: 'value';
  readonly apply: (value: number, name: string) => number;
  /** Part of the pipeline fingerprint: change it when the function's behaviour changes, so cached vectors are not reused. @default "" */
  readonly version: string;
}

/** Renames one feature; features that end up with the same name have their values summed. */
export interface NameFunction {
  readonly kind: 'name';
  readonly apply: (name: string, value: number) => string;
  readonly version: string;
}

/** Maps a whole set of named features to another. */
export interface FeaturesFunction {
  readonly kind: 'features';
  readonly apply: (features: ReadonlyMap<string, number>) => Iterable<readonly [string, number]>;
  readonly version: string;
}

export type FeatureFunction = ValueFunction | NameFunction | FeaturesFunction;

export interface RegisterFunctionOptions {
  /** Recorded in the pipeline fingerprint (and so in every vector key). @default "" */
  readonly version?: string;
}

const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Named functions a configuration may refer to by name (`{"kind": "function", "function":
 * "log1p"}`): code is registered here, never evaluated from the configuration.
 */
export class FunctionRegistry {
  private readonly byName = new Map<string, FeatureFunction>();

  /** A registry holding the built-in functions (see BUILTIN_FUNCTION_NAMES). */
  static withBuiltins(): FunctionRegistry {
    return new FunctionRegistry()
      .registerValue('log1p', (v) => Math.log1p(v))
      .registerValue('sqrt', (v) => Math.sqrt(v))
      .registerValue('binarize', (v) => (v === 0 ? 0 : 1))
      .registerName('lowercase', (n) => n.toLowerCase());
  }

  registerValue(name: string, apply: (value: number, name: string) => number, options: RegisterFunctionOptions = {}): this {
    return this.add(name, { kind: 'value', apply, version: options.version ?? '' });
  }

  registerName(name: string, apply: (name: string, value: number) => string, options: RegisterFunctionOptions = {}): this {
    return this.add(name, { kind: 'name', apply, version: options.version ?? '' });
  }

  registerFeatures(name: string, apply: (features: ReadonlyMap<string, number>) => Iterable<readonly [string, number]>, options: RegisterFunctionOptions = {}): this {
    return this.add(name, { kind: 'features', apply, version: options.version ?? '' });
  }

  get(name: string): FeatureFunction | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): readonly string[] {
    return [...this.byName.keys()];
  }

  private add(name: string, fn: FeatureFunction): this {
    if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) throw invalidArgument('name', name, 'must be a name of letters, digits, "_", "-" or "." starting with a letter or "_"');
    if (typeof fn.apply !== 'function') throw invalidArgument(`${name}.apply`, fn.apply, 'must be a function');
    if (typeof fn.version !== 'string') throw invalidArgument(`${name}.version`, fn.version, 'must be a string');
    if (this.byName.has(name)) throw invalidArgument('name', name, 'is already registered', 'register each function once, under its own name');
    this.byName.set(name, fn);
    return this;
  }
}

/** The functions of FunctionRegistry.withBuiltins(): log1p, sqrt and binarize map values; lowercase maps names. */
export const BUILTIN_FUNCTION_NAMES = ['log1p', 'sqrt', 'binarize', 'lowercase'] as const;
