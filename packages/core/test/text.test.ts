import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripByteOrderMark } from '../src/text.js';

describe('stripByteOrderMark', () => {
  it('drops one leading U+FEFF and leaves any other text as it is', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(stripByteOrderMark(`\uFEFF${s}`)).toBe(s);
        if (!s.startsWith('\uFEFF')) expect(stripByteOrderMark(s)).toBe(s);
      }),
      { seed: 41, numRuns: 300 },
    );
    expect(stripByteOrderMark('a\uFEFFb')).toBe('a\uFEFFb');
  });
});
