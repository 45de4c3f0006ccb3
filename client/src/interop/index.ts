/**
 * Entry point of dist/interop.js: the Run form panel and the MLExchange / MedPerf commands, loaded on the first
 * of their commands (client/src/interop/register.ts), never at activation.
 */
export { RunForms, RunFormPanel, VALUES_KEY, type RunFormDeps } from './runFormPanel';
export { InteropCommands, manifestArg, safeFolderName, type InteropDeps } from './commands';
