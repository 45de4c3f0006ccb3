// Writes the demo workspace's MLgym event storage (examples/mlgym-demo/event_storage/) with the generator
// the tests and the benchmark use: 6 experiments of 10 epochs, one failing, checkpoints at epochs 3, 6, 9.
// Run by `npm start` when the folder is missing: `node --import tsx scripts/demo-events.ts <target>`.
import { writeEventStorage } from '../test/helpers/eventGenerator';

const target = process.argv[2];
if (!target) {
  console.error('usage: node --import tsx scripts/demo-events.ts <event_storage folder>');
  process.exit(2);
}
const written = writeEventStorage(target, { experiments: 6, epochs: 10, failing: [4], checkpointEpochs: [3, 6, 9] });
console.log(`demo event storage: ${written.events} events in ${written.logPath}`);
