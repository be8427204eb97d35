/**
 * "Another machine on the same wifi", played on this one.
 *
 * A neighbour on the café wifi does not connect to 127.0.0.1 on your laptop; it connects to
 * your laptop's wifi address. A listener bound to 0.0.0.0 (every interface) accepts that
 * connection; one bound to 127.0.0.1 refuses it. Linux and Windows treat the whole 127.0.0.0/8
 * block as this machine's loopback, so 127.0.0.2 behaves exactly like that second address:
 * 0.0.0.0 listeners answer on it, 127.0.0.1 listeners refuse it, and it works offline. macOS
 * has only 127.0.0.1 unless you add an alias (`sudo ifconfig lo0 alias 127.0.0.2 up`), so
 * where 127.0.0.2 does not answer, this falls back to the machine's own network addresses.
 */
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Whether a TCP connection to host:port is accepted (anything else within 2 s: no). */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** An address of this machine, other than 127.0.0.1, on which a 0.0.0.0 listener answers. */
export async function addressFromTheWifi(): Promise<string> {
  const ownAddresses = Object.values(networkInterfaces())
    .flat()
    .flatMap((address) => (address && address.family === 'IPv4' && !address.internal ? [address.address] : []));
  // A throwaway listener on every interface, like the weak app's: which address reaches it?
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '0.0.0.0', resolve));
  try {
    const { port } = probe.address() as AddressInfo;
    for (const host of ['127.0.0.2', ...ownAddresses]) if (await accepts(host, port)) return host;
  } finally {
    probe.close();
  }
  throw new Error(
    'this machine has no second address to play "another machine on the wifi": on macOS, run ' +
      '`sudo ifconfig lo0 alias 127.0.0.2 up` and try again',
  );
}
