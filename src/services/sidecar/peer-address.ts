import { ServiceError } from '../service-error.ts';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/**
 * The gRPC `host:port` of a peer given as `host:port` or `http://host:port[/]` (the reference's `--peers` use
 * http:// URLs, §6.10). Throws ServiceError CONFIG for anything else, https:// included: a TLS peer needs a trust
 * root, which a bare URL does not give.
 */
export function peerAddress(url: string): string {
  const trimmed = url.trim();
  const address = (trimmed.startsWith('http://') ? trimmed.slice('http://'.length) : trimmed).replace(
    /\/$/,
    '',
  );
  const match = HOST_PORT.exec(address);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65_535) {
    throw new ServiceError('CONFIG', `peer "${url}": expected host:port or http://host:port`);
  }
  return address;
}
