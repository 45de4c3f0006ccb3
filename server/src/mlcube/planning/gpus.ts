/**
 * GPU request of a docker run (docs/mlcube.md §2.4, mlcube HEAD `parser.py` `DeviceSpecs`): `--gpus` wins,
 * otherwise `platform.accelerator_count` > 0 asks for that many GPUs.
 */
import { pyStr } from '../interpolation';

export type GpuSpec =
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'count'; count: number }
  | { kind: 'devices'; devices: string[] };

export type GpuOutcome = { ok: true; spec: GpuSpec; warnings: string[] } | { ok: false; error: string };

const pyType = (v: unknown): string =>
  v === null || v === undefined ? 'NoneType' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'string' ? 'str' : Array.isArray(v) ? 'ListConfig' : 'DictConfig';

/** `DeviceSpecs.from_string`. */
export function gpuSpecFromString(text: string): { ok: true; spec: GpuSpec } | { ok: false; error: string } {
  const g = text.trim();
  if (!g) return { ok: true, spec: { kind: 'none' } };
  if (g === 'all') return { ok: true, spec: { kind: 'all' } };
  if (/^\s*[+-]?\d+(_\d+)*\s*$/.test(g)) {
    const n = parseInt(g.replace(/_/g, ''), 10);
    return { ok: true, spec: n <= 0 ? { kind: 'none' } : { kind: 'count', count: n } };
  }
  if (g.startsWith('device=')) {
    const devices = g.slice(7).split(',').map((d) => d.trim()).filter(Boolean);
    return { ok: true, spec: devices.length ? { kind: 'devices', devices } : { kind: 'none' } };
  }
  return {
    ok: false,
    error: `ConfigurationError: The \`gpus\` configuration parameter has invalid or unsupported value (gpus=\`${g}\`). It can take one` +
      // mlcube's message really reads "oneof" (two string literals without a space between them).
      "of the following values: (1) empty or not specified, (2) 'all', (3) be single integer value or (4) be a string that starts with 'device=' that is followed by a comma-separated list of integers or device IDs (strings). For more details, see https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html.",
  };
}

/** `DeviceSpecs.from_config(accelerator_count, gpus)`, with mlcube's errors for values of the wrong type. */
export function gpuSpecFromConfig(acceleratorCount: unknown, gpus: unknown): GpuOutcome {
  let platform: GpuSpec = { kind: 'none' };
  if (acceleratorCount !== null && acceleratorCount !== undefined) {
    if (typeof acceleratorCount !== 'number' && typeof acceleratorCount !== 'boolean') {
      return { ok: false, error: `TypeError: '>' not supported between instances of '${pyType(acceleratorCount)}' and 'int' (platform.accelerator_count must be a number, got ${pyStr(acceleratorCount)})` };
    }
    const n = Number(acceleratorCount);
    if (n > 0) {
      const r = gpuSpecFromString(typeof acceleratorCount === 'boolean' ? 'True' : pyStr(acceleratorCount));
      if (!r.ok) return r;
      platform = r.spec;
    }
  }
  if (gpus === null || gpus === undefined) return { ok: true, spec: platform, warnings: [] };
  if (typeof gpus !== 'string') return { ok: false, error: `AttributeError: '${pyType(gpus)}' object has no attribute 'strip' (--gpus must be a string)` };
  const r = gpuSpecFromString(gpus);
  if (!r.ok) return r;
  const warnings: string[] = [];
  if (platform.kind === 'count') {
    const s = r.spec;
    const consistent = s.kind === 'all' || (s.kind === 'count' && s.count === platform.count) || (s.kind === 'devices' && s.devices.length === platform.count);
    if (!consistent) warnings.push(`\`platform.accelerator_count = ${platform.count}\` is not consistent with --gpus=${gpus.trim()}; --gpus wins.`);
  }
  return { ok: true, spec: r.spec, warnings };
}

/** The `--gpus=<value>` docker gets, or null. */
export function dockerGpus(spec: GpuSpec): string | null {
  switch (spec.kind) {
    case 'none': return null;
    case 'all': return 'all';
    case 'count': return String(spec.count);
    case 'devices': return 'device=' + spec.devices.join(',');
  }
}
