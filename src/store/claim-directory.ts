import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { StoreError } from './store.ts';

/**
 * Claims the directory `realDir` (a resolved real path) for this process and returns the release function.
 * The claim is a Linux abstract Unix socket named after the path: it lives in the kernel, not on disk, and the
 * kernel drops it when the process dies however it dies (kill -9 included), so there is no stale lock and no
 * PID to mistake for a live owner. A second claim, from this or another process in the same network
 * namespace, gives STORE_LOCKED naming the directory.
 */
export function claimDirectory(realDir: string): Promise<() => Promise<void>> {
  const name = `\0allegro-store-${createHash('sha256').update(realDir).digest('hex')}`;
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return reject(err);
      reject(new StoreError('STORE_LOCKED', `store directory ${realDir} is open in another store`));
    });
    server.listen(name, () => {
      server.unref();
      resolve(() => new Promise<void>((done) => server.close(() => done())));
    });
  });
}
