import { readFileSync } from 'node:fs';
import { LaserError, type LaserErrorCode } from './errors.js';

/** U+FEFF, which some editors write at the start of a UTF-8 file (the bytes EF BB BF). */
const BYTE_ORDER_MARK = 0xfeff;

/** The text without a leading byte order mark; call it on the start of a file only (U+FEFF elsewhere is content). */
export function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
}

/**
 * The parsed JSON of a hand-written file (a config), not yet validated; a leading byte order mark
 * is skipped. A file that cannot be read is a NOT_FOUND error, one that does not parse an error
 * with `invalidCode`; both name the file as `<what> <path>`.
 */
export function readJsonFile(path: string, what: string, invalidCode: LaserErrorCode = 'INVALID_DATA'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LaserError('NOT_FOUND', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e, details: { file: path } });
  }
  try {
    return JSON.parse(stripByteOrderMark(text)) as unknown;
  } catch (e) {
    throw new LaserError(invalidCode, `${what} ${path} is not valid JSON: ${(e as Error).message}`, { cause: e, details: { file: path } });
  }
}
