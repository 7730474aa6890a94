import type { GetBulletinBoardRequest } from '../../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { BulletinBoardQuery } from './bulletin-board.ts';

/** The board query a GetBulletinBoard request asks (reference §2.2 plus Allegro's `cursor`). */
export function boardQueryOf(req: GetBulletinBoardRequest): BulletinBoardQuery {
  return {
    ...(req.filter.case === 'txHash' ? { txHash: req.filter.value } : {}),
    ...(req.filter.case === 'address' ? { address: req.filter.value.data } : {}),
    sinceUnixMillis: req.sinceUnixMillis,
    cursor: req.cursor,
    limit: req.limit,
  };
}
