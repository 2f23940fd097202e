// Smoothing of scalar series: the debiased exponential moving average
// TensorBoard applies, or a trailing or centred moving average over a window
// the same slider sets. Non-finite values pass through unchanged and do not
// enter any average; a constant series is left as is.
import type { SmoothMode } from './state';

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

/**
 * The moving-average window the smoothing weight stands for: the span of an
 * EMA of that weight, (1 + w) / (1 - w) points (0.6: 4, 0.9: 19, 0.99: 199).
 */
export function smoothingWindow(weight: number): number {
  return weight <= 0 ? 1 : Math.max(1, Math.round((1 + weight) / (1 - Math.min(weight, 0.999))));
}

/**
 * The mean of the finite values in a window of `k` points ending at each
 * point (trailing) or around it (centred: as many before as after, one more
 * after for an even k), in one pass over prefix sums.
 */
export function movingAverage(values: Float64Array, k: number, centred: boolean): Float64Array {
  const n = values.length;
  const sum = new Float64Array(n + 1);
  const cnt = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const ok = Number.isFinite(values[i]);
    sum[i + 1] = sum[i] + (ok ? values[i] : 0);
    cnt[i + 1] = cnt[i] + (ok ? 1 : 0);
  }
  const before = centred ? Math.floor((k - 1) / 2) : k - 1;
  const after = centred ? k - 1 - before : 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) {
      out[i] = values[i];
      continue;
    }
    const a = Math.max(0, i - before);
    const b = Math.min(n, i + after + 1);
    out[i] = (sum[b] - sum[a]) / (cnt[b] - cnt[a]);
  }
  return out;
}

/** Smoothing as the view asks: the EMA, or a moving average of the weight's window. */
export function smoothBy(values: Float64Array, weight: number, mode: SmoothMode): Float64Array {
  if (mode === 'ema' || weight <= 0) return smooth(values, weight);
  return movingAverage(values, smoothingWindow(weight), mode === 'centred');
}
