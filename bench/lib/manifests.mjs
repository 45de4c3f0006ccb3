// The two manifests of the language-server benchmark: a real one from the corpus and a generated
// 5,000-line one with hundreds of tasks (the shapes found in real manifests: string params with and
// without a trailing slash, flow and block dicts, entrypoints, ${...} interpolations).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const typicalName = 'mlcommons__mlcube_examples__mnist__mlcube.yaml';

/** The real MNIST manifest of the repository's corpus (test/fixtures/corpus); its absence is an error. */
export function typicalManifest(root) {
  const p = join(root, 'test', 'fixtures', 'corpus', 'mlcube', 'manifests', typicalName);
  try { return { source: p, text: readFileSync(p, 'utf8') }; } catch (e) {
    throw new Error(`the benchmark's typical manifest ${p} is missing (${e.code ?? e})`);
  }
}

/** A valid manifest of about `lines` lines: a header and as many tasks as fit. */
export function generatedManifest(lines = 5000) {
  const out = [
    'name: big-cube',
    'description: Generated manifest for the language-server benchmark',
    'authors:',
    '  - {name: "Bench Mark", email: "bench@example.com", org: "CubeLab"}',
    '',
    'platform:',
    '  accelerator_count: 1',
    '',
    'docker:',
    '  image: mlcommons/${name}:0.0.1',
    '  build_context: "."',
    '  build_file: "Dockerfile"',
    '  gpu_args: "--shm-size=1g"',
    '',
    'tasks:',
  ];
  let i = 0;
  while (out.length < lines - 16) {
    const v = i % 4;
    out.push(`  task_${i}:`);
    if (v !== 3) out.push(`    entrypoint: python3 /workspace/step_${i}.py --stage=${v}`);
    out.push('    parameters:', '      inputs:');
    out.push(`        data_dir: data/split_${i % 7}/`);
    out.push(`        config: {type: file, default: configs/task_${i}.yaml}`);
    if (v === 0) out.push('        weights:', '          type: directory', `          default: \${runtime.workspace}/weights/${i}`, '          opts: ro');
    if (v === 1) out.push(`        labels: labels_${i}.csv`);
    out.push('      outputs:');
    out.push(`        log_dir: logs/task_${i}/`);
    out.push(`        model: {type: file, default: "models/model_${i}.pt"}`);
    if (v === 2) out.push(`        metrics: {type: file, default: metrics/${i}.json, opts: rw}`);
    i++;
  }
  return { source: `generated (${i} tasks)`, text: out.join('\n') + '\n', tasks: i };
}
