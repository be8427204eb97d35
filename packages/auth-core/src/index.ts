export { Authenticator, type AuthenticatorDeps, DEMO_ACCOUNTS, seedDemoUsers } from './accounts.ts';
export { AuthError, invalidCredentials, tooManyAttempts } from './errors.ts';
export { DEFAULT_LOGIN_LIMITS, LoginLimiter, type LoginLimiterOptions, type LoginLimits } from './login-limiter.ts';
export {
  type Argon2Params,
  assertStrongArgon2,
  checkNewPassword,
  checkPasswordInput,
  DEFAULT_ARGON2,
  legacyBcryptHash,
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_LENGTH,
  PasswordHasher,
  type VerifyResult,
} from './passwords.ts';
export { DataDirError, loadSecrets, type Secrets, writeNewSecrets } from './secrets.ts';
