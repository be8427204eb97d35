export {
  Authenticator,
  type AuthenticatorDeps,
  DEMO_ACCOUNTS,
  demoAccountsAccepting,
  seedDemoUsers,
} from './accounts.ts';
export { CookieSigner } from './cookie-signer.ts';
export { type EndReason, endEverything } from './end-everything.ts';
export {
  AUTH_ERROR_STATUS,
  AuthError,
  type AuthErrorCode,
  DataDirError,
  invalidCredentials,
  KeyRotationTooSoonError,
  tooManyAttempts,
} from './errors.ts';
export { type AccessClaims, type AccessTokenSettings, AccessTokens } from './jwt/access-token.ts';
export { type AccessTokenPolicy, AccessTokenVerifier, invalidToken } from './jwt/access-token-verifier.ts';
export { isCanonicalCompactJws } from './jwt/canonical-jws.ts';
export {
  type DeviceInfo,
  hashRefreshToken,
  invalidGrant,
  type TokenPair,
  TokenService,
  type TokenServiceDeps,
} from './jwt/token-service.ts';
export {
  algOf,
  jwkThumbprint,
  type PrivateJwk,
  type PublicJwk,
  type SigningAlg,
} from './key-material.ts';
export {
  JWKS_MAX_AGE_SEC,
  KeyRing,
  type KeyRingFile,
  type KeyRingOptions,
  type KeyState,
  newKeyRingFile,
  readKeyRingFile,
  rotateKeyRingFile,
  type StoredKey,
  withKeyRingLock,
  writeKeyRingFile,
} from './key-ring.ts';
export {
  DEFAULT_LOGIN_LIMITS,
  type LoginAttempt,
  LoginLimiter,
  type LoginLimiterOptions,
  type LoginLimits,
  OPEN_LOGIN_LIMITS,
} from './login-limiter.ts';
export {
  type Argon2Params,
  assertStrongArgon2,
  checkNewPassword,
  checkPasswordInput,
  DEFAULT_ARGON2,
  legacyBcryptHash,
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_LENGTH,
  NormalizedPassword,
  normalizePassword,
  PasswordHasher,
  type VerifyResult,
} from './passwords.ts';
export {
  jwtKeyRingPath,
  loadSecrets,
  OIDC_KEY_ALGORITHMS,
  oidcKeyRingPath,
  type Secrets,
  writeNewSecrets,
} from './secrets.ts';
export {
  claimsWindow,
  type ValidityWindow,
  VerifiedTokenCache,
  type VerifiedTokenCacheOptions,
} from './verified-token-cache.ts';
