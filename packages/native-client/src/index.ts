export {
  type BrowserOpener,
  commandBrowserOpener,
  defaultBrowserOpener,
  splitCommand,
  withManualFallback,
} from './browser-opener.ts';
export { discoverPublicClient, isLoopbackHttp } from './discover.ts';
export { oauthError, ServerUnavailableError } from './http-errors.ts';
export { JwtSource, type JwtSourceOptions } from './jwt-source.ts';
export { isLoopbackStartLink } from './loopback/start-link.ts';
export {
  type AuthorizationResult,
  BrowserOpenError,
  LoopbackAuthorizer,
  type LoopbackAuthorizerOptions,
  type LoopbackHost,
} from './loopback-authorizer.ts';
export { OidcSource, type OidcSourceOptions } from './oidc-source.ts';
export { TokenManager, type TokenManagerEvents, type TokenManagerOptions, type TokenStatus } from './token-manager.ts';
export * from './types.ts';
export * from './vaults/index.ts';
