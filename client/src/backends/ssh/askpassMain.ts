/**
 * The SSH_ASKPASS program (dist/askpass.js): ssh runs it with a prompt; it asks CubeLab over the unix socket
 * named in its environment and prints the answer for ssh. Exit code 1 when the user cancelled.
 */
import { connect } from 'node:net';

const sock = process.env.CUBELAB_ASKPASS_SOCKET;
const token = process.env.CUBELAB_ASKPASS_TOKEN;
const prompt = process.argv.slice(2).join(' ');
if (!sock || !token) process.exit(1);

const conn = connect(sock as string);
let buf = '';
conn.setEncoding('utf8');
conn.on('connect', () => conn.write(JSON.stringify({ token, prompt }) + '\n'));
conn.on('data', (d: string) => { buf += d; });
conn.on('end', () => {
  try {
    const r = JSON.parse(buf.trim()) as { answer?: string; cancelled?: boolean };
    if (typeof r.answer !== 'string') process.exit(1);
    process.stdout.write(`${r.answer}\n`);
    process.exit(0);
  } catch { process.exit(1); }
});
conn.on('error', () => process.exit(1));
