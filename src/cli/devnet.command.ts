import { formatUnits } from 'viem';
import { type Devnet, startDevnet } from '../chain/devnet.ts';
import { toHex } from '../protocol/bytes.ts';
import { bigintOption, type Command, intOption, stringOption, UsageError } from './command.ts';

/** `allegro devnet`: a local Tempo node with the funded demo accounts, until Ctrl-C. */
export const devnetCommand: Command = {
  name: 'devnet',
  summary: 'run a local Tempo node (anvil --network tempo) with funded demo accounts',
  usage: 'devnet [--port N] [--block-time SECONDS] [--chain-id N]',
  description:
    'Starts anvil on 127.0.0.1, gives Alice 15, Bob 5 and Carol 5 AlphaUSD plus a pathUSD fee allowance, and\n' +
    'sets their fee token to pathUSD so AlphaUSD balances move by exactly the amounts paid. Ctrl-C stops it.',
  options: {
    port: { type: 'string', value: 'N', help: 'port on 127.0.0.1 (0 picks a free one)', default: '8545' },
    'block-time': {
      type: 'string',
      value: 'SECONDS',
      help: 'seconds between blocks (fractions allowed)',
      default: '5',
    },
    'chain-id': { type: 'string', value: 'N', help: 'chain id', default: '1337' },
  },
  async run(values) {
    const blockTime = Number(stringOption(values, 'block-time', true));
    if (!(blockTime > 0)) throw new UsageError('--block-time must be a positive number of seconds');
    const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const devnet = await startDevnet({
      port: intOption(values, 'port'),
      blockTime,
      chainId: bigintOption(values, 'chain-id'),
      progress: (step) => console.log(`… ${step}`),
    });
    console.log(describeDevnet(devnet, blockTime));
    const signal = await stopSignal;
    console.log(`\n${signal}: stopping anvil (pid ${devnet.pid})`);
    await devnet.stop();
    return 0;
  },
};

function describeDevnet(devnet: Devnet, blockTime: number): string {
  const { alphaUsd, pathUsd } = devnet.tokens;
  const amount = (units: bigint, decimals: number): string => formatUnits(units, decimals).padStart(10);
  return [
    `Tempo devnet: anvil --network tempo (pid ${devnet.pid}), chain id ${devnet.chainId}, block time ${blockTime} s`,
    `  RPC  ${devnet.rpcUrl}`,
    `  WS   ${devnet.wsUrl}`,
    '',
    'Tokens (TIP-20)',
    `  ${alphaUsd.name.padEnd(9)} ${toHex(alphaUsd.address)}  ${alphaUsd.decimals} decimals, payment asset`,
    `  ${pathUsd.name.padEnd(9)} ${toHex(pathUsd.address)}  ${pathUsd.decimals} decimals, fee token`,
    '',
    'Demo accounts (well-known keys: never use them anywhere else)',
    ...devnet.accounts.flatMap((a) => [
      `  ${a.name.padEnd(6)} ${toHex(a.address)}  ${amount(a.alphaUsd, alphaUsd.decimals)} AlphaUSD  ${amount(a.pathUsd, pathUsd.decimals)} pathUSD`,
      `         private key ${toHex(a.privateKey)}`,
    ]),
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}
