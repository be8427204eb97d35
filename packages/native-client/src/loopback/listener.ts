import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NativeAuthError } from '../types.ts';
import type { LoopbackHost } from './settings.ts';

/** The address does not exist on this machine (no IPv4, or no IPv6, loopback): try the next host. */
const FALLBACK_ERRORS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

export interface BoundListener {
  server: Server;
  /** The `Host` the browser sends to it, and what `redirect_uri` names: `127.0.0.1:53123`, `[::1]:53123`. */
  host: string;
}

/**
 * An HTTP server on the first of `hosts` that exists here, on `port` (0: one the OS picks).
 * Rejects with `port_in_use` or `listen_failed`.
 */
export async function listenOnLoopback(
  hosts: readonly LoopbackHost[],
  port: number,
  onRequest: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<BoundListener | undefined> {
  for (const [index, host] of hosts.entries()) {
    const server = createServer(onRequest);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (FALLBACK_ERRORS.has(code) && index < hosts.length - 1) continue;
      if (code === 'EADDRINUSE') {
        throw new NativeAuthError(
          'port_in_use',
          `port ${port} on ${host} is already in use (another sign-in or another program); close it, or use port 0 for a free one`,
          { cause: error },
        );
      }
      throw new NativeAuthError('listen_failed', `could not listen on ${host}:${port} (${code})`, { cause: error });
    }
    const actualPort = (server.address() as AddressInfo).port;
    return { server, host: host === '::1' ? `[::1]:${actualPort}` : `${host}:${actualPort}` };
  }
  return undefined;
}
