/**
 * Entry point of dist/registry.js: the registry code in pure Node (no `vscode`), loaded on first use of a
 * registry command or of the Registries view, never at activation. Also what the tests and the benchmark use.
 */
export { RegistryError, DigestMismatchError, untrusted } from './errors';
export { parseRegistrySetting, isLoopback, isRepositoryName, isTag, repositoryFor, type RegistryEndpoint, type RegistrySetting } from './names';
export { RegistryHttp, type HttpOptions, type ProxySettings } from './http';
export { RegistryClient } from './client';
export { credentialProvider, findCredentials, storeSecret, eraseSecret, helperStore, helperErase, dockerConfigDir, type Credential, type SecretStore, type CredentialOptions } from './credentials';
export { BlobCache, hashFile } from './cache';
export { RegistryBrowser, listCubes, cubeDetails, matchesFilter, type RepositoryPage, type RepositoryCubes, type CubeVersion, type CubeAlias, type CubeDetails } from './browse';
export { cubeContents, publishCube, moveAlias, deleteAlias, deleteVersion, type CubeContents, type PublishResult } from './publish';
export { pullCube, type PullResult } from './pull';
export { dockerImageEngine, type ImageEngine } from './dockerImages';
export { mlgymMetrics, cardSummary } from './card';
export { MEDIA, ANNOTATION } from './oci';
export { pullMedperf, fetchRecord, medperfImageEngine, type MedperfPullResult, type MedperfImageEngine } from './medperf/pull';
