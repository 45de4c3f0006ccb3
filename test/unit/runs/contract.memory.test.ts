/**
 * The run layer's contract against the in-memory backend (a test stand-in for a target; see
 * test/helpers/memoryBackend.ts): the same cases the runner tier runs against the real Docker engine.
 */
import { after } from 'node:test';
import { runContract } from '../../contract/runContract';
import { MemoryBackend, MemoryWorld, memoryPlan } from '../../helpers/memoryBackend';

const world = new MemoryWorld();
after(() => world.dispose());

runContract({
  name: 'memory',
  makeBackend: () => new MemoryBackend(world),
  planFor: (p, ws) => memoryPlan({ lines: p.lines, lineMs: p.lineMs, exitCode: p.exitCode, outputs: p.output ? [{ container: '/mlcube_io0', file: p.output.file, content: p.output.content }] : [] },
    { mounts: [{ host: `${ws}/out`, container: '/mlcube_io0', mode: '' }], root: ws, workspace: ws }),
  loseTarget: async () => { world.reachable = false; },
  restoreTarget: async () => { world.reachable = true; },
  workExists: async (r) => {
    const id = r.target.kind === 'memory' ? r.target.workId : undefined;
    const w = id ? world.works.get(id) : undefined;
    return !!w && w.state !== 'exited';
  },
  retryMs: 30,
  timeoutMs: 20_000,
});
