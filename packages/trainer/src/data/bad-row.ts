import { LaserError } from '@laserkit/core';

/** A bad row: names file, line, field, value and constraint. */
export function badRow(file: string, line: number, field: string, value: unknown, constraint: string): LaserError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value) : String(value);
  return new LaserError('INVALID_DATA', `${file}:${line}: ${field} (${shown}) ${constraint}`, { details: { file, line, field, value, constraint } });
}
