/** Which provider serves which document kind. A new kind of file gets a provider and one line here. */
import type { ProviderRegistry } from './languageService';
import { legacyManifestProvider, manifestProvider } from '../mlcube/provider';
import { mlgymGsProvider, mlgymRunProvider } from '../mlgym/provider';

export const providers: ProviderRegistry = {
  mlcube: manifestProvider,
  'mlcube-legacy': legacyManifestProvider,
  'mlgym-run': mlgymRunProvider,
  'mlgym-gs': mlgymGsProvider,
  // 'mlcube-settings' and 'none': recognised and deliberately left alone.
};
