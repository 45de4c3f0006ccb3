/** Python's `shlex.split(s)` (POSIX mode, no comments): how mlcube cuts a task `entrypoint` into tokens. */

export type ShlexResult = { ok: true; tokens: string[] } | { ok: false; error: string };

export function shlexSplit(s: string): ShlexResult {
  const tokens: string[] = [];
  let cur = '';
  let inToken = false;
  let i = 0;
  const ws = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < s.length) {
    const c = s.charAt(i);
    if (ws(c)) {
      if (inToken) { tokens.push(cur); cur = ''; inToken = false; }
      i++;
      continue;
    }
    inToken = true;
    if (c === '\\') {
      if (i + 1 >= s.length) return { ok: false, error: 'ValueError: No escaped character' };
      cur += s[i + 1];
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: 'ValueError: No closing quotation' };
      cur += s.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= s.length) return { ok: false, error: 'ValueError: No closing quotation' };
        const d = s[i];
        if (d === '"') { i++; break; }
        // Inside double quotes a backslash escapes only `"` and `\`.
        if (d === '\\' && i + 1 < s.length && (s[i + 1] === '"' || s[i + 1] === '\\')) { cur += s[i + 1]; i += 2; continue; }
        if (d === '\\' && i + 1 >= s.length) return { ok: false, error: 'ValueError: No escaped character' };
        cur += d;
        i++;
      }
      continue;
    }
    cur += c;
    i++;
  }
  if (inToken) tokens.push(cur);
  return { ok: true, tokens };
}

/** True when `/bin/sh` would not read `token` back as the same single word (mlcube re-joins tokens with spaces). */
export function needsShellQuoting(token: string): boolean {
  return token === '' || /[\s'"\\$`|&;<>()*?[\]#~{}!]/.test(token);
}
