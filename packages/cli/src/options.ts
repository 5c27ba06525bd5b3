import { InvalidArgumentError } from 'commander';

/** Commander argument parsers whose errors name the value and the constraint (commander adds the flag). */
export function integerArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${JSON.stringify(value)} must be an integer in [${min}, ${max}].`);
    return n;
  };
}

export function numberArg(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${JSON.stringify(value)} must be a number in [${min}, ${max}].`);
    return n;
  };
}
