/** The server's real file access (the pure service receives it through ServiceContext.fs). */
import * as fs from 'fs';
import type { FileAccess } from './service/languageService';

export const nodeFileAccess: FileAccess = {
  exists: (p) => fs.existsSync(p),
  isDirectory: (p) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } },
  readDir: (p) => { try { return fs.readdirSync(p); } catch { return []; } },
  readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
  size: (p) => { try { const st = fs.statSync(p); return st.isFile() ? st.size : undefined; } catch { return undefined; } },
};
