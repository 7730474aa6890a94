import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { ByteFormatError, fromHex } from '../protocol/bytes.ts';
import { SETTLEMENT_LANES, type SettlementLane } from '../services/sidecar/settlement-route.ts';
import type { SidecarConfig } from '../services/sidecar/sidecar-config.ts';
import { startSidecar } from '../services/sidecar/sidecar-node.ts';
import { createLogger } from '../util/logger.ts';
import { DEFAULT_MAX_CALLS_PER_PEER } from '../wire/grpc-limits.ts';
import { readBalancesFile } from './balances-file.ts';
import {
  bigintOption,
  type Command,
  intOption,
  type OptionValues,
  stringOption,
  UsageError,
  urlOption,
} from './command.ts';
import { untilSignal } from './until-signal.ts';

function hexOption(values: OptionValues, name: string, length: number): Uint8Array | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  try {
    return fromHex(v, length);
  } catch (err) {
    if (err instanceof ByteFormatError)
      throw new UsageError(`--${name}: ${err.message} (want ${length * 2} hex chars)`);
    throw err;
  }
}

/** Builds a sidecar config from the command line (reference §6.10 flag names and defaults). */
export function sidecarConfigFromFlags(values: OptionValues): SidecarConfig {
  const name = stringOption(values, 'name', true);
  const tlsCert = stringOption(values, 'tls-cert');
  const tlsKey = stringOption(values, 'tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  const committeeFile = stringOption(values, 'committee');
  const rpcUrl = urlOption(values, 'rpc-url', ['http:', 'https:']);
  const wsUrl = urlOption(values, 'ws-url', ['ws:', 'wss:']);
  const httpListen = stringOption(values, 'http-listen');
  const inspect = urlOption(values, 'inspect', ['ws:', 'wss:']);
  if (inspect && !rpcUrl)
    throw new UsageError('--inspect needs --rpc-url (it shows the settlement machines)');
  if (wsUrl && !rpcUrl) throw new UsageError('--ws-url needs --rpc-url');
  if (rpcUrl && !committeeFile) {
    throw new UsageError(
      '--rpc-url needs --committee FILE (a chain-following validator never learns its committee)',
    );
  }
  const lane = stringOption(values, 'lane') ?? 'default';
  if (!SETTLEMENT_LANES.includes(lane as SettlementLane)) {
    throw new UsageError(`--lane must be one of ${SETTLEMENT_LANES.join(', ')}, got "${lane}"`);
  }
  const maxPending = intOption(values, 'max-pending-settlements')!;
  if (maxPending < 1) throw new UsageError('--max-pending-settlements must be at least 1');
  const evictAfterRefusals = intOption(values, 'evict-after-refusals')!;
  if (evictAfterRefusals < 1) throw new UsageError('--evict-after-refusals must be at least 1');
  const escrow = hexOption(values, 'escrow', 20);
  const settlementKey = hexOption(values, 'settlement-key', 32);
  if ((escrow === undefined) !== (settlementKey === undefined))
    throw new UsageError('--escrow and --settlement-key go together');
  if (escrow && !rpcUrl) throw new UsageError('--escrow needs --rpc-url');
  return {
    name,
    listen: stringOption(values, 'listen', true),
    seed: hexOption(values, 'seed', 32) ?? missing('seed'),
    validatorId: hexOption(values, 'validator-id', 32) ?? missing('validator-id'),
    chainId: bigintOption(values, 'chain-id')!,
    epoch: bigintOption(values, 'epoch')!,
    blockHeight: bigintOption(values, 'block-height')!,
    maxTotalCerts: intOption(values, 'max-total-certs')!,
    maxKnownQcs: intOption(values, 'max-known-qcs')!,
    maxRequestCache: intOption(values, 'max-request-cache')!,
    maxBulletinBoardResponse: intOption(values, 'max-bulletin-board-response')!,
    maxCallsPerPeer: positive(values, 'max-calls-per-peer'),
    maxCoolingSenders: positive(values, 'max-cooling-senders'),
    demoBalances: values['demo-balances'] === true,
    referenceDemoBalances: values['reference-demo-balances'] === true,
    demoAsset: hexOption(values, 'demo-asset', 20) ?? ALPHA_USD,
    peers: (stringOption(values, 'peers') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
    gossipIntervalMs: intOption(values, 'gossip-interval-ms')!,
    gossipPullLimit: intOption(values, 'gossip-pull-limit')!,
    store: stringOption(values, 'store') ?? `lmdb:./.allegro/${name}`,
    ...(committeeFile ? { committeeFile } : {}),
    allowSmallCommittee: values['allow-small-committee'] === true,
    ...(tlsCert && tlsKey ? { tls: { certFile: tlsCert, keyFile: tlsKey } } : {}),
    ...(rpcUrl ? { rpcUrl } : {}),
    ...(wsUrl ? { wsUrl } : {}),
    ...(httpListen ? { httpListen } : {}),
    ...(inspect ? { inspect } : {}),
    ...(escrow && settlementKey ? { escrow: { address: escrow, settlementKey } } : {}),
    rules: {
      maxExpiryMs: bigintOption(values, 'max-expiry-ms')!,
      maxPendingPerSender: intOption(values, 'max-pending-per-sender')!,
      maxPendingPerLane: intOption(values, 'max-pending-per-lane')!,
      settlementMarginMs: bigintOption(values, 'settlement-margin-ms')!,
      feeCapPercentOfBaseFee: bigintOption(values, 'fee-cap-percent')!,
      transferGas: bigintOption(values, 'transfer-gas')!,
      newNonceKeyGas: bigintOption(values, 'new-nonce-key-gas')!,
    },
    settlement: {
      maxPending,
      evictAfterRefusals,
      coolOffMs: intOption(values, 'cool-off-ms')!,
      finalityDepth: intOption(values, 'finality-depth')!,
      lane: lane as SettlementLane,
      forwardDelayBlocks: intOption(values, 'forward-delay-blocks')!,
    },
  };
}

function positive(values: OptionValues, name: string): number {
  const n = intOption(values, name)!;
  if (n < 1) throw new UsageError(`--${name} must be at least 1`);
  return n;
}

function missing(name: string): never {
  throw new UsageError(`--${name} is required`);
}

export const sidecarCommand: Command = {
  name: 'sidecar',
  summary: 'Run a validator sidecar: certify payments over gRPC, gossip certificates with peers',
  usage: 'sidecar --name NAME --seed HEX32 --validator-id HEX32 [options]',
  description: [
    "Example (the reference README's Dave):",
    '  allegro sidecar --name Dave --listen 127.0.0.1:50051 --seed 4141…41 --validator-id d1d1…d1 \\',
    '    --chain-id 1337 --epoch 1 --block-height 1 --demo-balances --peers http://127.0.0.1:50052 \\',
    '    --allow-small-committee',
    'Safety state (locks, sequences, debits, own certificates) is written to --store before any certificate',
    'is returned. Without --committee the committee is this validator plus its --peers, learned once and pinned;',
    'with --rpc-url (following a real chain) --committee FILE is required. A committee of fewer than 4 members',
    'tolerates no faulty validator and runs only with --allow-small-committee.',
  ].join('\n'),
  options: {
    name: { type: 'string', value: 'NAME', help: 'validator name' },
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      help: 'gRPC listen address host:port',
      default: '127.0.0.1:50051',
    },
    'http-listen': {
      type: 'string',
      value: 'HOST:PORT',
      help: 'HTTP listen address host:port for /metrics and /healthz',
    },
    seed: { type: 'string', value: 'HEX32', help: '32-byte Ed25519 seed, 64 hex chars (the signing key)' },
    'validator-id': { type: 'string', value: 'HEX32', help: '32-byte validator id, 64 hex chars' },
    'chain-id': { type: 'string', value: 'N', help: 'chain id', default: '1337' },
    epoch: { type: 'string', value: 'N', help: 'committee epoch', default: '1' },
    'block-height': { type: 'string', value: 'N', help: 'static head height when standalone', default: '1' },
    'max-total-certs': {
      type: 'string',
      value: 'N',
      help: 'bulletin board capacity (oldest evicted)',
      default: '10000',
    },
    'max-known-qcs': { type: 'string', value: 'N', help: 'parent QCs remembered', default: '4096' },
    'max-request-cache': {
      type: 'string',
      value: 'N',
      help: 'cached answers per client request id (LRU)',
      default: '8192',
    },
    'max-bulletin-board-response': {
      type: 'string',
      value: 'N',
      help: 'most certificates per board response',
      default: '1000',
    },
    'max-cooling-senders': {
      type: 'string',
      value: 'N',
      help: 'senders remembered in cool-off at once (LRU)',
      default: '65536',
    },
    'max-calls-per-peer': {
      type: 'string',
      value: 'N',
      help: 'gRPC calls one peer host may have in progress; beyond it RESOURCE_EXHAUSTED',
      default: String(DEFAULT_MAX_CALLS_PER_PEER),
    },
    'demo-balances': {
      type: 'boolean',
      help: 'standalone: Alice 15, Bob 5, Carol 5 dollars of the demo asset',
    },
    'reference-demo-balances': {
      type: 'boolean',
      help: "standalone: the reference sidecar's demo balances as it has them: 15 / 5 / 5 base units of 0x20c0…aaaa",
    },
    balances: {
      type: 'string',
      value: 'FILE',
      help: 'standalone: JSON file of [{account, asset, amount}] fixed balances',
    },
    'demo-asset': {
      type: 'string',
      value: 'HEX20',
      help: 'TIP-20 asset of the demo balances, 40 hex chars (default: AlphaUSD 20c0…0001)',
    },
    peers: { type: 'string', value: 'URL,URL…', help: 'comma-separated peer sidecar URLs' },
    'gossip-interval-ms': { type: 'string', value: 'MS', help: 'gossip pull interval', default: '1000' },
    'gossip-pull-limit': { type: 'string', value: 'N', help: 'certificates per gossip pull', default: '512' },
    'allow-small-committee': {
      type: 'boolean',
      help: 'run in a committee of fewer than 4 members (no fault tolerated: demos and tests only)',
    },
    committee: {
      type: 'string',
      value: 'FILE',
      help: 'committee JSON file (pinned members: name, validatorId, publicKey, url)',
    },
    store: {
      type: 'string',
      value: 'STORE',
      help: 'memory | lmdb:DIR | redis://host:port (default: lmdb:./.allegro/<name>)',
    },
    'tls-cert': { type: 'string', value: 'FILE', help: 'TLS certificate (PEM) for the gRPC server' },
    'tls-key': { type: 'string', value: 'FILE', help: 'TLS private key (PEM)' },
    'rpc-url': {
      type: 'string',
      value: 'URL',
      help: 'Tempo JSON-RPC URL: read balances and settle on chain',
    },
    escrow: {
      type: 'string',
      value: 'ADDRESS',
      help: 'with --rpc-url: certify and settle ESCROWED payments out of this AllegroEscrow',
    },
    'settlement-key': {
      type: 'string',
      value: 'HEX32',
      help: "with --escrow: secp256k1 key registered in the escrow's committee; signs settlements and pays their fee",
    },
    'ws-url': {
      type: 'string',
      value: 'URL',
      help: 'Tempo WebSocket JSON-RPC URL for new heads (default: poll --rpc-url)',
    },
    inspect: {
      type: 'string',
      value: 'URL',
      help: "with --rpc-url: Stately inspector WebSocket URL (ws://…) for the payments' settlement machines",
    },
    'max-pending-settlements': {
      type: 'string',
      value: 'N',
      help: 'payments queued or awaiting finality at most (last resort); beyond it TEMPORARY_UNAVAILABLE',
      default: '100000',
    },
    'evict-after-refusals': {
      type: 'string',
      value: 'N',
      help: 'node refusals in a row before a tx leaves the queue (FAILED "evicted", lock kept to its deadline)',
      default: '5',
    },
    'cool-off-ms': {
      type: 'string',
      value: 'MS',
      help: "chain-time ms an evicted tx's sender gets RATE_LIMITED instead of new certificates",
      default: '60000',
    },
    'max-expiry-ms': {
      type: 'string',
      value: 'MS',
      help: "a payment's deadline (validBefore, else expiry) at most this far after the head's time",
      default: '3600000',
    },
    'max-pending-per-sender': {
      type: 'string',
      value: 'N',
      help: 'unsettled certified payments per sender; beyond it RATE_LIMITED',
      default: '64',
    },
    'max-pending-per-lane': {
      type: 'string',
      value: 'N',
      help: 'unsettled certified payments per (sender, nonce key); beyond it RATE_LIMITED',
      default: '64',
    },
    'settlement-margin-ms': {
      type: 'string',
      value: 'MS',
      help: "with --rpc-url: validBefore must be ≥ head time + the node's 3 s + this (NOT_LANDABLE otherwise)",
      default: '5000',
    },
    'fee-cap-percent': {
      type: 'string',
      value: 'N',
      help: 'with --rpc-url: maxFeePerGas must be ≥ this % of the base fee at B',
      default: '200',
    },
    'transfer-gas': {
      type: 'string',
      value: 'N',
      help: 'with --rpc-url: least gas limit of a transfer (devnet measured 74,646 to a new recipient)',
      default: '80000',
    },
    'new-nonce-key-gas': {
      type: 'string',
      value: 'N',
      help: 'with --rpc-url: least gas limit at seq 0 of a nonce key (devnet measured 91,518; TIP-1000 needs more)',
      default: '100000',
    },
    'finality-depth': {
      type: 'string',
      value: 'N',
      help: 'blocks on top of the including block before FINALIZED',
      default: '2',
    },
    lane: {
      type: 'string',
      value: 'LANE',
      help: 'nonce-key lanes: default | subblock (0x5b keys routed to their validator)',
      default: 'default',
    },
    'forward-delay-blocks': {
      type: 'string',
      value: 'N',
      help: 'subblock lanes: blocks before a non-primary sidecar forwards too',
      default: '2',
    },
  },
  async run(values) {
    const balancesFile = stringOption(values, 'balances');
    const config = {
      ...sidecarConfigFromFlags(values),
      ...(balancesFile ? { balances: await readBalancesFile(balancesFile) } : {}),
    };
    const logger = createLogger(`sidecar:${config.name}`);
    const sidecar = await startSidecar(config, logger);
    const signal = await untilSignal();
    logger.info({ signal }, 'stopping');
    await sidecar.stop();
    return 0;
  },
};
