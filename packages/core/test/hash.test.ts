import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { murmur3Bytes, murmur3String } from '../src/hash.js';

describe('murmur3', () => {
  // Reference vectors of MurmurHash3_x86_32 published with the algorithm and its ports.
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['abc', 0, 0xb3dd93fa],
    ['abcd', 0x9747b28c, 0xf0478627],
  ])('murmur3(%j, %d) = %d', (text, seed, expected) => {
    expect(murmur3String(text, seed)).toBe(expected);
  });

  it('hashes a string over its UTF-8 bytes, ASCII fast path included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (text, seed) => {
        expect(murmur3String(text, seed)).toBe(murmur3Bytes(new TextEncoder().encode(text), seed));
      }),
    );
  });
});
