import { NativeAuthError } from '@authlab/native-client';

/** The CLI's exit codes, one per kind of failure (apps/cli/README.md lists them). */
export const EXIT = {
  usage: 1,
  notSignedIn: 2,
  httpError: 3,
  unreachable: 4,
  refused: 5,
  notFound: 6,
} as const;

/** A failure the CLI has already put in words, with its exit code. */
export class CliExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** No answer: the network, a timeout, a 5xx. The sign-in (if any) is kept; try again later. */
const UNREACHABLE = new Set(['server_unavailable', 'refresh_unavailable', 'discovery_failed']);

/** The codes of `error` and of the errors it was caused by, outermost first. */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error; current instanceof Error && codes.length < 5; current = current.cause) {
    if (current instanceof NativeAuthError) codes.push(current.code);
  }
  return codes;
}

/**
 * Documented exit codes: what failed, never a stack trace. A wrong address (no provider there) is
 * told apart from one that does not answer, and both from a provider that answered "no".
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CliExit) return error.exitCode;
  const codes = codesOf(error);
  const [code] = codes;
  if (code === undefined) return EXIT.unreachable; // fetch's own failure: no answer at all
  if (codes.includes('not_a_provider')) return EXIT.notFound;
  if (code === 'not_signed_in') return EXIT.notSignedIn;
  // The vault failed after it was chosen (a file others can read, a corrupt file, a locked key store).
  if (code.startsWith('vault_')) return EXIT.usage;
  if (code === 'invalid_issuer' || code === 'insecure_issuer') return EXIT.usage;
  if (UNREACHABLE.has(code)) return EXIT.unreachable;
  return EXIT.refused;
}
