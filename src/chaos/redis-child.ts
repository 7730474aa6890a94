import { startChildService } from '../services/child-service.ts';

/**
 * A redis-server child on 127.0.0.1:`port` with its data in `dir`, ready once it accepts connections: with AOF
 * fsync always, or with `appendonly no` (nothing it holds survives it, and an AOF already in `dir` is not read).
 */
export async function startRedis(dir: string, port: number, appendonly: boolean) {
  return startChildService({
    command: 'redis-server',
    args: [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
      ...(appendonly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ],
    ready: /Ready to accept connections/,
  });
}
