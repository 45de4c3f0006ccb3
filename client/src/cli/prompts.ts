/**
 * Questions a backend may ask (SSH passwords, passphrases, unknown host keys, overwriting changed outputs), asked on
 * the terminal: only when stdin is a terminal. Otherwise there are no prompts at all, and a backend that needs an
 * answer fails with its own message (a CI job never hangs on a question).
 */
import * as readline from 'node:readline';
import { Writable } from 'node:stream';
import type { BackendEnvironment } from '../runs/backend';

/** One line from the terminal; `hidden` echoes nothing (passwords). Undefined when the user pressed Ctrl+C or Ctrl+D. */
export function askLine(question: string, hidden: boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    const output = new Writable({ write(chunk, _enc, cb) { if (!hidden) process.stderr.write(chunk); cb(); } });
    const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
    let answered = false;
    const finish = (v: string | undefined) => {
      if (answered) return;
      answered = true;
      rl.close();
      if (hidden || v === undefined) process.stderr.write('\n');
      resolve(v);
    };
    rl.question('', (a) => finish(a));
    rl.on('SIGINT', () => finish(undefined));
    rl.on('close', () => finish(undefined));
  });
}

/** The prompts of a backend environment when stdin is a terminal; undefined otherwise (never a prompt). */
export function terminalPrompts(stdinIsTerminal: boolean): BackendEnvironment['prompts'] {
  if (!stdinIsTerminal) return undefined;
  return {
    ask: async (p) => {
      if (p.kind === 'host-key') {
        const text = p.text.replace(/\s*Are you sure you want to continue connecting.*$/s, '');
        const a = await askLine(`${text}\nAccept this host key of ${p.host} (only if the fingerprint is the host's)? [yes/no] `, false);
        return a?.trim().toLowerCase() === 'yes' ? 'yes' : 'no';
      }
      return askLine(`${p.text.trim()} `, p.kind !== 'other');
    },
    confirmOverwrite: async (files) => {
      const list = files.slice(0, 20).map((f) => `  ${f}`).join('\n') + (files.length > 20 ? `\n  … and ${files.length - 20} more` : '');
      const a = await askLine(`${files.length} local output file(s) changed since the last sync would be overwritten by the run's outputs:\n${list}\nOverwrite them? [y/N] `, false);
      return /^y(es)?$/i.test(a?.trim() ?? '');
    },
  };
}
