// An SSH ProxyCommand that counts the bytes of one connection on the wire, both ways:
//   ProxyCommand node bench/lib/countingProxy.mjs %h %p <file>
// relays stdin/stdout to host:port and appends "<sent> <received>\n" to <file> when the connection ends.
import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';

const [host, port, file] = process.argv.slice(2);
let sent = 0, received = 0;
const sock = connect(Number(port), host);
process.stdin.on('data', (b) => { sent += b.length; sock.write(b); });
process.stdin.on('end', () => sock.end());
sock.on('data', (b) => { received += b.length; process.stdout.write(b); });
const done = () => { try { appendFileSync(file, `${sent} ${received}\n`); } catch { /* the benchmark reads what is there */ } process.exit(0); };
let written = false;
const finish = () => { if (written) return; written = true; done(); };
sock.on('close', finish);
sock.on('error', finish);
process.stdin.on('error', finish);
// ssh ends its ProxyCommand with a signal when the session closes.
for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGPIPE']) process.on(sig, finish);
