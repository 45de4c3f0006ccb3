/**
 * Activation timing: from the moment the bundle starts loading (a timestamp the esbuild banner sets on
 * globalThis as the first statement of dist/client.js) to the moment activate() returns.
 */
export interface ActivationTiming {
  bundleStart: number;
  activateStart: number;
  activateEnd: number;
  /** activateEnd - bundleStart, in milliseconds. */
  totalMs: number;
}

export function bundleStart(): number {
  const v = (globalThis as { __cubelabBundleStart?: number }).__cubelabBundleStart;
  return typeof v === 'number' ? v : performance.now();
}
