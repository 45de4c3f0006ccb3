/** Entry of dist/language.js: the language client, loaded right after activation (see extension.ts). */
export { CubeLabLanguageClient } from './languageClient';
