/**
 * One error root for the whole platform. `code` is a closed union so callers can switch on it;
 * `retriable` says whether the same call may succeed later (a network edge, a busy service) or
 * never will (bad input, a corrupt artifact).
 */
export type LaserErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_OPTION'
  | 'INVALID_DATA'
  | 'NOT_FOUND'
  | 'CORRUPT_ARTIFACT'
  | 'INCOMPATIBLE_ARTIFACT'
  | 'SERVICE_UNAVAILABLE'
  | 'TIMEOUT'
  | 'CLOSED'
  | 'INTERNAL';

const RETRIABLE_BY_DEFAULT: ReadonlySet<LaserErrorCode> = new Set(['SERVICE_UNAVAILABLE', 'TIMEOUT']);

export interface LaserErrorOptions {
  /** Overrides the code's default (only SERVICE_UNAVAILABLE and TIMEOUT are retriable by default). */
  readonly retriable?: boolean;
  readonly cause?: unknown;
  /** Structured fields for logs and programmatic handling (field name, value, file, line...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class LaserError extends Error {
  readonly code: LaserErrorCode;
  readonly retriable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: LaserErrorCode, message: string, options: LaserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LaserError';
    this.code = code;
    this.retriable = options.retriable ?? RETRIABLE_BY_DEFAULT.has(code);
    this.details = options.details ?? {};
  }
}

export function isLaserError(e: unknown): e is LaserError {
  return e instanceof LaserError;
}

/** Renders a value for an error message: short, unambiguous, never throws. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `array(length ${value.length})`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(length ${(value as unknown as ArrayLike<unknown>).length})`;
  return typeof value;
}

/**
 * The error for a bad option or argument: names the field, the value and the constraint,
 * and optionally how to fix it.
 */
export function invalidArgument(field: string, value: unknown, constraint: string, fix?: string): LaserError {
  const message = `${field} (${describeValue(value)}) ${constraint}${fix === undefined ? '' : `; ${fix}`}`;
  return new LaserError('INVALID_ARGUMENT', message, { details: { field, value, constraint } });
}
