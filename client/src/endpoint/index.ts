/**
 * Entry of dist/endpoint.js: the MLboard-compatible endpoint (socket.io + REST over an event storage).
 * Pure Node, no `vscode`: endpointCommands.ts loads this bundle on first use, so activation never loads
 * socket.io, and the tests import it directly.
 */
export { startEndpoint, isLocalRequest, type EndpointHandle, type EndpointOptions } from './server';
export { DEFAULT_ALLOWED_ORIGINS, normalizeOrigin, OriginPolicy } from './origins';
export { RoomLogs, STORED_EVENT_TYPES, type WireEvent } from './roomLogs';
export { storagePath, isPlainName, UnsafePathError } from './safePath';
export { pythonJsonDumps } from '../../../shared/python-json';
export type { ProtocolStats } from './socketProtocol';
