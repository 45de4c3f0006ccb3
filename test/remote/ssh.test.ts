/**
 * The SSH layer against the real sshd of the remote host (test/env/setup-remote.sh), with the tests' own SSH
 * config, known_hosts and keys: one multiplexed connection reused by every call, host keys (unknown: refused
 * until accepted, with the fingerprint shown; changed: refused), a wrong key, a passphrase-protected key and a
 * password-only account answered through the prompt (the editor's input box), and a link dropped for longer
 * than the keepalive.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConnection } from '../../client/src/backends/ssh/connection';
import type { SshPrompt } from '../../client/src/backends/ssh/askpass';
import { TargetError } from '../../client/src/runs/backend';
import { ASKPASS, CLIENT, SSH_CONFIG, linkDown, linkUp, startRemote, waitFor } from './helpers';

before(() => startRemote());

const sshdLog = '/run/cubelab-remote/sshd.log';
const logins = (): number => readFileSync(sshdLog, 'utf8').split('\n').filter((l) => /Accepted (publickey|password)/.test(l)).length;

function connection(host: string, answers: (p: SshPrompt) => string | undefined, options: string[] = []): { c: SshConnection; asked: SshPrompt[] } {
  const asked: SshPrompt[] = [];
  const c = new SshConnection({ host, configFile: SSH_CONFIG, options, askpassMain: ASKPASS, ask: async (p) => { asked.push(p); return answers(p); } });
  return { c, asked };
}

test('one connection per host: twenty commands and a socket forward reuse one login', async () => {
  const { c } = connection('cubelab-remote', () => undefined);
  const before = logins();
  try {
    for (let i = 0; i < 20; i++) {
      const r = await c.exec(`echo ${i}`);
      assert.equal(r.stdout.toString().trim(), String(i));
    }
    await c.forwardSocket('/run/cubelab-remote/docker.sock');
    assert.equal(logins() - before, 1, 'one SSH login for all of them');
  } finally { await c.dispose(); }
});

test('an unknown host key is shown with its fingerprint and refused until accepted; then added to known_hosts', async () => {
  const kh = join(mkdtempSync(join(tmpdir(), 'cubelab-kh-')), 'known_hosts');
  const refuse = connection('cubelab-remote', () => 'no', [`UserKnownHostsFile=${kh}`]);
  await assert.rejects(refuse.c.connect(), (e: Error) => e instanceof TargetError && e.code === 'denied' && /host key of cubelab-remote was not accepted/.test(e.message));
  await refuse.c.dispose();
  assert.equal(refuse.asked.length, 1);
  assert.equal(refuse.asked[0]!.kind, 'host-key');
  const fingerprint = /SHA256:[A-Za-z0-9+/]{43}/.exec(refuse.asked[0]!.text)?.[0];
  assert.ok(fingerprint, `the prompt shows the fingerprint: ${refuse.asked[0]!.text}`);
  const accept = connection('cubelab-remote', (p) => (p.kind === 'host-key' ? 'yes' : undefined), [`UserKnownHostsFile=${kh}`]);
  try {
    await accept.c.connect();
    assert.equal((await accept.c.exec('whoami')).stdout.toString().trim(), 'cubelab-remote');
    assert.match(readFileSync(kh, 'utf8'), /^10\.77\.0\.2 ssh-ed25519 /m, 'the accepted key is now in known_hosts');
  } finally { await accept.c.dispose(); }
  // Known now: no question asked.
  const again = connection('cubelab-remote', () => 'no', [`UserKnownHostsFile=${kh}`]);
  try { await again.c.connect(); assert.deepEqual(again.asked, []); } finally { await again.c.dispose(); }
});

test('a changed host key is refused, whatever the user would answer', async () => {
  const kh = join(mkdtempSync(join(tmpdir(), 'cubelab-kh-')), 'known_hosts');
  copyFileSync(join(CLIENT, 'known_hosts.changed'), kh);
  const { c } = connection('cubelab-remote', () => 'yes', [`UserKnownHostsFile=${kh}`]);
  await assert.rejects(c.connect(), (e: Error) => e instanceof TargetError && e.code === 'denied' && /has changed since it was recorded/.test(e.message));
  await c.dispose();
});

test('a key the account does not accept: a clear refusal', async () => {
  const { c } = connection('cubelab-remote-wrongkey', () => undefined);
  await assert.rejects(c.connect(), (e: Error) => e instanceof TargetError && e.code === 'denied' && /refused the login/.test(e.message));
  await c.dispose();
});

test('a passphrase-protected key and a password-only account: the prompt reaches the user, the answer logs in', async () => {
  const passphrase = readFileSync(join(CLIENT, 'passphrase.txt'), 'utf8').trim();
  const password = readFileSync(join(CLIENT, 'password.txt'), 'utf8').trim();
  const pp = connection('cubelab-remote-passphrase', (p) => (p.kind === 'passphrase' ? passphrase : undefined));
  try {
    await pp.c.connect();
    assert.equal((await pp.c.exec('whoami')).stdout.toString().trim(), 'cubelab-remote');
    assert.deepEqual(pp.asked.map((p) => p.kind), ['passphrase']);
    assert.match(pp.asked[0]!.text, /id_passphrase/);
  } finally { await pp.c.dispose(); }
  const pw = connection('cubelab-remote-password', (p) => (p.kind === 'password' ? password : undefined));
  try {
    await pw.c.connect();
    assert.equal((await pw.c.exec('whoami')).stdout.toString().trim(), 'cubelab-pw');
    assert.deepEqual(pw.asked.map((p) => p.kind), ['password']);
  } finally { await pw.c.dispose(); }
  // A cancelled prompt is a refusal, not a hang.
  const cancelled = connection('cubelab-remote-password', () => undefined);
  await assert.rejects(cancelled.c.connect(), (e: Error) => e instanceof TargetError && e.code === 'denied');
  await cancelled.c.dispose();
});

test('the link dropped without closing it: the keepalive notices within 30 s; the link back, the connection opens again', { timeout: 120_000 }, async () => {
  const { c } = connection('cubelab-remote', () => undefined);
  let downAt = 0;
  c.on('down', () => { downAt = Date.now(); });
  await c.connect();
  const t0 = Date.now();
  linkDown();
  try {
    await waitFor(() => downAt > 0, 45_000, 'the connection to say it is down');
    const took = downAt - t0;
    console.log(`keepalive noticed the dead link after ${(took / 1000).toFixed(1)} s`);
    assert.ok(took <= 30_000, `noticed within 30 s: ${took} ms`);
    assert.equal(c.state, 'disconnected');
    await assert.rejects(c.exec('true'), (e: Error) => e instanceof TargetError && e.code === 'unreachable');
  } finally { linkUp(); }
  await c.connect();
  assert.equal((await c.exec('echo back')).stdout.toString().trim(), 'back');
  await c.dispose();
});
