import { startInspectionReceiver } from '../services/inspect/inspection-receiver.ts';
import { type Command, intOption, UsageError } from './command.ts';
import { untilSignal } from './until-signal.ts';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'receive `--inspect` actor events on 127.0.0.1 and show them on a local page',
  usage: 'inspect [--port N]',
  description: [
    'Listens on 127.0.0.1 only (WebSocket and HTTP on one port). Point any --inspect at it:',
    '  allegro inspect --port 8081',
    '  allegro demo --inspect ws://127.0.0.1:8081',
    'then open http://127.0.0.1:8081/ for every actor, its latest snapshot and its events, live',
    '(/actors answers the same as JSON). Keys and signed transactions arrive redacted. Nothing is opened',
    'or fetched: with the internet, the hosted Stately inspector is an alternative (see README).',
  ].join('\n'),
  options: {
    port: { type: 'string', value: 'PORT', help: 'port on 127.0.0.1; 0 picks a free one', default: '8081' },
  },
  async run(values) {
    const port = intOption(values, 'port')!;
    if (port < 0 || port > 65_535) throw new UsageError(`--port must be between 0 and 65535, got ${port}`);
    const receiver = await startInspectionReceiver({ port });
    console.log(`inspector receiving on ${receiver.wsUrl}: pass --inspect ${receiver.wsUrl}`);
    console.log(`actors, snapshots and events: ${receiver.pageUrl}`);
    const signal = await untilSignal();
    console.log(`${signal}: stopping`);
    await receiver.close();
    return 0;
  },
};
