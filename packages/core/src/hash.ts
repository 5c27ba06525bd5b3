/**
 * MurmurHash3 x86_32 (Austin Appleby, public domain algorithm), the hash Vowpal Wabbit uses for
 * feature hashing. Strings are hashed over their UTF-8 bytes, so the same name hashes the same
 * in any language that implements the reference algorithm.
 */
const encoder = new TextEncoder();

export function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const n = bytes.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    h = mixBlock(h, k);
  }
  const rest = n & 3;
  let k = 0;
  if (rest >= 3) k ^= (bytes[blocks + 2] as number) << 16;
  if (rest >= 2) k ^= (bytes[blocks + 1] as number) << 8;
  if (rest >= 1) h = mixTail(h, k ^ (bytes[blocks] as number));
  return finalize(h, n);
}

/** murmur3 of a string's UTF-8 bytes; ASCII strings are hashed without allocating. */
export function murmur3String(text: string, seed: number): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) > 0x7f) return murmur3Bytes(encoder.encode(text), seed);
  }
  let h = seed >>> 0;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 8) | (text.charCodeAt(i + 2) << 16) | (text.charCodeAt(i + 3) << 24);
    h = mixBlock(h, k);
  }
  const rest = n & 3;
  let k = 0;
  if (rest >= 3) k ^= text.charCodeAt(blocks + 2) << 16;
  if (rest >= 2) k ^= text.charCodeAt(blocks + 1) << 8;
  if (rest >= 1) h = mixTail(h, k ^ text.charCodeAt(blocks));
  return finalize(h, n);
}

function mixBlock(h: number, k: number): number {
  h = mixTail(h, k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function mixTail(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return h ^ Math.imul(k, 0x1b873593);
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
