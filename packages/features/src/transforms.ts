import { LaserError, invalidArgument, type FeatureNamespace } from '@laserkit/core';
import type { MergeRule } from './config.js';
import type { FeatureFunction } from './functions.js';

/** Named features: name → value. */
export type FeatureMap = ReadonlyMap<string, number>;

/** A raw field value once checked: what a request source keys and encodes. */
export type RawFieldValue = number | string | boolean | null | readonly (string | number)[];

/**
 * Reads one raw field for a request source, checking its type. Arrays are copied, so the key and
 * the later content see the same value even if the caller mutates the request.
 */
export function readRawField(namespace: FeatureNamespace, raw: Readonly<Record<string, unknown>>, field: string): RawFieldValue {
  const v = Object.hasOwn(raw, field) ? raw[field] : undefined;
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalidArgument(`${namespace}.${field}`, v, 'must be a finite number');
    return v;
  }
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    const out: (string | number)[] = [];
    v.forEach((e: unknown, i) => {
      if (typeof e === 'string' || (typeof e === 'number' && Number.isFinite(e))) out.push(e);
      else throw invalidArgument(`${namespace}.${field}[${i}]`, e, 'must be a string or a finite number');
    });
    return out;
  }
  throw invalidArgument(`${namespace}.${field}`, v, 'must be a finite number, a string, a boolean, null or an array of strings and numbers');
}

/** Encodes checked raw fields as named features (see RequestSourceConfig for the rules). */
export function encodeRequestFields(fields: readonly string[], values: readonly RawFieldValue[], categorical: ReadonlySet<string>, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (name: string, value: number): void => {
    out.set(name, (out.get(name) ?? 0) + value);
  };
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    const v = values[i];
    if (v === null || v === undefined || v === false) continue;
    if (v === true) add(prefix + field, 1);
    else if (typeof v === 'number') {
      if (categorical.has(field)) add(`${prefix}${field}=${v}`, 1);
      else add(prefix + field, v);
    } else if (typeof v === 'string') add(`${prefix}${field}=${v}`, 1);
    else for (const e of v) add(`${prefix}${field}=${e}`, 1);
  }
  return out;
}

/** Checks and prefixes a provider's answer. */
export function encodeProviderFeatures(provider: string, id: string, features: Readonly<Record<string, number>>, prefix: string): Map<string, number> {
  if (features === null || typeof features !== 'object') {
    throw new LaserError('INVALID_DATA', `provider "${provider}" returned ${String(features)} for id ${JSON.stringify(id)}; expected an object of name: number`, { details: { provider, id } });
  }
  const out = new Map<string, number>();
  for (const name of Object.keys(features)) {
    const value = features[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new LaserError('INVALID_DATA', `provider "${provider}" feature ${JSON.stringify(name)} of id ${JSON.stringify(id)} (${String(value)}) must be a finite number`, {
        details: { provider, id, field: name, value },
      });
    }
    out.set(prefix + name, value);
  }
  return out;
}

/** Keeps the features named in `names` or starting with one of `prefixes`. */
export function subsetFeatures(input: FeatureMap, names: ReadonlySet<string>, prefixes: readonly string[], prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of input) {
    let keep = names.has(name);
    for (let p = 0; !keep && p < prefixes.length; p++) keep = name.startsWith(prefixes[p] as string);
    if (keep) out.set(prefix + name, value);
  }
  return out;
}

/** The labels of the k + 1 buckets cut by k boundaries: `[-inf,b0)`, `[b0,b1)`, ..., `[b_{k-1},inf)`. */
export function bucketLabels(boundaries: readonly number[]): string[] {
  const labels: string[] = [];
  for (let i = 0; i <= boundaries.length; i++) {
    const lo = i === 0 ? '-inf' : String(boundaries[i - 1]);
    const hi = i === boundaries.length ? 'inf' : String(boundaries[i]);
    labels.push(`[${lo},${hi})`);
  }
  return labels;
}

/** The bucket of v: the number of boundaries <= v (binary search), so bucket i is [b_{i-1}, b_i). */
export function bucketIndex(boundaries: readonly number[], v: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((boundaries[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One-hot bucketing: each feature `name` = v becomes `name[lo,hi)` = 1. */
export function bucketFeatures(input: FeatureMap, boundaries: readonly number[], labels: readonly string[], prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of input) out.set(`${prefix}${name}${labels[bucketIndex(boundaries, finite('bucketing', name, value))] as string}`, 1);
  return out;
}

/** NaN or ±Infinity never becomes a feature (not even a bucket): an overflowing sum or product is an error naming it. */
function finite(step: string, name: string, value: number): number {
  if (!Number.isFinite(value)) throw new LaserError('INVALID_DATA', `${step}: feature ${JSON.stringify(name)} is ${value}; feature values must be finite`, { details: { feature: name, value } });
  return value;
}

/** The union of the inputs; names in several inputs are summed or keep the first input's value. */
export function disjoinFeatures(inputs: readonly FeatureMap[], merge: MergeRule, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const input of inputs) {
    for (const [name, value] of input) {
      const key = prefix + name;
      const seen = out.get(key);
      if (seen === undefined) out.set(key, value);
      else if (merge === 'sum') out.set(key, finite('disjunction', key, seen + value));
    }
  }
  return out;
}

/**
 * The cross product: `a<sep>b` = value(a) · value(b), each part escaped (see InteractionConfig)
 * so that distinct pairs get distinct names. The separator must not contain a backslash.
 */
export function interactFeatures(left: FeatureMap, right: FeatureMap, separator: string, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  const rights: [string, number][] = [];
  for (const [b, vb] of right) rights.push([escapeInteractionPart(b, separator, false), vb]);
  for (const [a, va] of left) {
    const head = `${prefix}${escapeInteractionPart(a, separator, true)}${separator}`;
    for (const [b, vb] of rights) {
      const name = head + b;
      out.set(name, finite('interaction', name, (out.get(name) ?? 0) + va * vb));
    }
  }
  return out;
}

/**
 * One part of a crossed name: a backslash before every backslash, before the first character of
 * every occurrence of the separator and, in the first part, before a tail that would run into the
 * separator that follows it (`x_` + `__`). The name then splits at its first separator not
 * preceded by a backslash, whatever the parts, so the naming is injective; a part with no
 * backslash and no separator is unchanged (unless its tail runs into a self-overlapping separator).
 */
function escapeInteractionPart(part: string, separator: string, isFirst: boolean): string {
  const tailFrom = isFirst && separator.length > 1 ? Math.max(0, part.length - separator.length + 1) : part.length;
  let clean = !part.includes('\\') && !part.includes(separator);
  for (let i = tailFrom; clean && i < part.length; i++) clean = !runsIntoSeparator(part, i, separator);
  if (clean) return part;
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    if (c === '\\' || part.startsWith(separator, i) || (i >= tailFrom && runsIntoSeparator(part, i, separator))) out += '\\';
    out += c;
  }
  return out;
}

/** Whether part[i..] followed by the separator starts with the separator (part[i..] shorter than it). */
function runsIntoSeparator(part: string, i: number, separator: string): boolean {
  const k = part.length - i;
  return k < separator.length && separator.startsWith(part.slice(i)) && separator.startsWith(separator.slice(k));
}

/** Applies a registered function; a non-finite output is an error naming the function, feature and value. */
export function applyFeatureFunction(fnName: string, fn: FeatureFunction, input: FeatureMap, prefix: string, namespace: FeatureNamespace): Map<string, number> {
  const out = new Map<string, number>();
  const put = (name: string, value: number, from: string, inputValue: number): void => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalidArgument(`${namespace} feature ${JSON.stringify(from)}`, inputValue, `gives ${String(value)} under function "${fnName}"; it must map to a finite number`);
    }
    if (typeof name !== 'string') throw invalidArgument(`${namespace} feature ${JSON.stringify(from)}`, name, `is renamed by function "${fnName}" to a non-string`);
    const key = prefix + name;
    out.set(key, (out.get(key) ?? 0) + value);
  };
  if (fn.kind === 'value') for (const [name, v] of input) put(name, fn.apply(v, name), name, v);
  else if (fn.kind === 'name') for (const [name, v] of input) put(fn.apply(name, v), v, name, v);
  else for (const [name, v] of fn.apply(input)) put(name, v, name, v);
  return out;
}
