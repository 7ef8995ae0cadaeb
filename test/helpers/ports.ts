import { createServer } from 'node:net';

/** Binds `port` on loopback (0: any) and lets it go; the port bound, or null when it was taken. */
export async function bindAndRelease(port: number): Promise<number | null> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!bound) return null;
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return address && typeof address !== 'string' ? address.port : null;
}

/** A TCP port nobody listens on right now: a server told its public URL needs a fixed one. */
export async function freePort(): Promise<number> {
  const port = await bindAndRelease(0);
  if (port === null) throw new Error('no TCP port');
  return port;
}
