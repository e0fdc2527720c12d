// Deterministic randomness for the demo generators: the same seed gives the same history.

/** mulberry32: tiny, fast, deterministic; Math.random cannot be seeded. Values in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` hex digits from `r`. */
export function hexId(r: () => number, length: number): string {
  let out = '';
  while (out.length < length) {
    out += Math.floor(r() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  }
  return out.slice(0, length);
}
