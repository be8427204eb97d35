import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * The signing algorithms a key ring holds keys for. EdDSA (Ed25519) signs everything of ours;
 * RS256 is there for ID tokens, because OpenID Connect Discovery §3 and Core §15.1 require it and
 * many relying parties (.NET, older Keycloak, jsonwebtoken-era libraries) verify nothing else.
 */
export type SigningAlg = 'EdDSA' | 'RS256';

export interface OkpPrivateJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
}

export interface RsaPrivateJwk {
  kty: 'RSA';
  n: string;
  e: string;
  d: string;
  p: string;
  q: string;
  dp: string;
  dq: string;
  qi: string;
}

export type PrivateJwk = OkpPrivateJwk | RsaPrivateJwk;

/** A public key as `/.well-known/jwks.json` and the provider's JWKS publish it. */
export type PublicJwk = { kid: string; alg: SigningAlg; use: 'sig' } & (
  | { kty: 'OKP'; crv: 'Ed25519'; x: string }
  | { kty: 'RSA'; n: string; e: string }
);

/** RFC 7518 §3.3: RSA keys of 2048 bits or more. */
const RSA_MODULUS_BITS = 2048;

export const algOf = (jwk: PrivateJwk): SigningAlg => (jwk.kty === 'RSA' ? 'RS256' : 'EdDSA');

/**
 * RFC 7638 thumbprint: SHA-256 over the required public members in lexicographic order
 * (`crv, kty, x` for OKP, `e, kty, n` for RSA).
 */
export function jwkThumbprint(jwk: { kty: string; crv?: string; x?: string; e?: string; n?: string }): string {
  const canonical =
    jwk.kty === 'RSA'
      ? JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })
      : JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generatePrivateJwk(alg: SigningAlg): PrivateJwk {
  if (alg === 'RS256') {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: RSA_MODULUS_BITS });
    const { n, e, d, p, q, dp, dq, qi } = privateKey.export({ format: 'jwk' }) as RsaPrivateJwk;
    return { kty: 'RSA', n, e, d, p, q, dp, dq, qi };
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const { x, d } = privateKey.export({ format: 'jwk' }) as OkpPrivateJwk;
  return { kty: 'OKP', crv: 'Ed25519', x, d };
}

const isString = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** The shape of a stored private key: an Ed25519 or an RSA private JWK, every member present. */
export function isPrivateJwk(value: unknown): value is PrivateJwk {
  const jwk = value as Record<string, unknown> | null;
  if (typeof jwk !== 'object' || jwk === null) return false;
  if (jwk.kty === 'OKP') return jwk.crv === 'Ed25519' && isString(jwk.x) && isString(jwk.d);
  if (jwk.kty === 'RSA') return ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'].every((name) => isString(jwk[name]));
  return false;
}

/** Only the public members, for a JWKS. */
export function publicJwkOf(jwk: PrivateJwk, kid: string): PublicJwk {
  const alg = algOf(jwk);
  return jwk.kty === 'RSA'
    ? { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg, use: 'sig' }
    : { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg, use: 'sig' };
}

/**
 * Imports a stored key pair; throws a plain Error saying what is wrong. Node imports an OKP
 * private JWK from `d` alone and ignores `x`: without the comparison a file whose `x` (and kid)
 * were replaced would sign with one key and publish another in the JWKS.
 */
export function importKeyPair(jwk: PrivateJwk): { privateKey: KeyObject; publicKey: KeyObject } {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { ...jwk }, format: 'jwk' });
    publicKey = createPublicKey(privateKey);
  } catch (error) {
    throw new Error(`a key does not import (${(error as Error).message})`);
  }
  const derived = publicKey.export({ format: 'jwk' });
  const matches = jwk.kty === 'RSA' ? derived.n === jwk.n && derived.e === jwk.e : derived.x === jwk.x;
  if (!matches) throw new Error('its public key does not match its private key');
  if (jwk.kty === 'RSA' && (publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < RSA_MODULUS_BITS) {
    throw new Error(`an RSA key is shorter than ${RSA_MODULUS_BITS} bits`);
  }
  return { privateKey, publicKey };
}
