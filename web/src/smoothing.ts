// Debiased exponential moving average, the smoothing TensorBoard applies to
// scalar charts. Non-finite values pass through unchanged and do not enter
// the average; a constant series is left as is.

export function smooth(values: Float64Array, weight: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let constant = true;
  for (let i = 1; i < n; i++) {
    if (values[i] !== values[0]) {
      constant = false;
      break;
    }
  }
  if (constant || weight <= 0) {
    out.set(values);
    return out;
  }
  let last = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count++;
    const debias = weight === 1 ? 1 : 1 - Math.pow(weight, count);
    out[i] = last / debias;
  }
  return out;
}
