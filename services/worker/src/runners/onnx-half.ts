/** IEEE 754 half-precision bits → float32, for float16 models' logits. */

/** Converts one half-precision bit pattern to a number (subnormals, inf and NaN included). */
export function halfBitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Converts `length` half values starting at `start` into a new Float32Array. */
export function halfToFloat32(bits: Uint16Array, start: number, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = halfBitsToNumber(bits[start + i]);
  return out;
}
