/** Builds analysed documents and service contexts for pure language-service tests. */
import * as fs from 'node:fs';
import { defaultSettings, type CubeLabSettings } from '../../shared/lsp-protocol';
import { analyze, type AnalyzedDocument, type FileAccess, type ServiceContext } from '../../server/src/service/languageService';

export const realFs: FileAccess = {
  exists: (p) => fs.existsSync(p),
  isDirectory: (p) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } },
  readDir: (p) => { try { return fs.readdirSync(p); } catch { return []; } },
};

export function context(overrides: Partial<ServiceContext> = {}, settings: Partial<CubeLabSettings> = {}): ServiceContext {
  return {
    settings: { ...defaultSettings, ...settings },
    workspaceFolders: [],
    fs: realFs,
    env: {},
    ...overrides,
  };
}

export function doc(path: string, text: string, ctx: ServiceContext = context()): AnalyzedDocument {
  return analyze(`file://${path}`, 1, text, ctx);
}
