import { invalidArgument } from './errors.js';

// Option checks shared by every package: each throws a LaserError naming field, value and constraint.

export function checkFiniteNumber(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(field, value, 'must be a finite number');
  return value;
}

export function checkInteger(field: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidArgument(field, value, 'must be an integer');
  if (value < min || value > max) throw invalidArgument(field, value, `must be an integer in [${min}, ${max}]`);
  return value;
}

export function checkRange(field: string, value: unknown, min: number, max: number, { minExclusive = false, maxExclusive = false } = {}): number {
  const v = checkFiniteNumber(field, value);
  const lowOk = minExclusive ? v > min : v >= min;
  const highOk = maxExclusive ? v < max : v <= max;
  if (!lowOk || !highOk) {
    throw invalidArgument(field, value, `must be in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`);
  }
  return v;
}

export function checkPositive(field: string, value: unknown): number {
  const v = checkFiniteNumber(field, value);
  if (v <= 0) throw invalidArgument(field, value, 'must be > 0');
  return v;
}

export function checkOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidArgument(field, value, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

/** Rejects keys an options object does not know, so a typo ("seeed") fails instead of being ignored. */
export function checkKnownKeys(field: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw invalidArgument(`${field}.${key}`, (options as Record<string, unknown>)[key], `is not a known option`, `known options: ${known.join(', ')}`);
    }
  }
}
