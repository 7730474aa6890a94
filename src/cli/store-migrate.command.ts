import { migrateFileStore } from '../store/migrate-file-store.ts';
import { openStore } from '../store/open-store.ts';
import { type Command, stringOption, UsageError } from './command.ts';

/** `allegro store migrate --from file:DIR --to SPEC`: copies a file store of older versions into a new store. */
export const storeMigrateCommand: Command = {
  name: 'store migrate',
  summary: 'copy a file store of older versions into a new, empty store (lmdb:DIR)',
  usage: 'store migrate --from file:DIR --to lmdb:NEW_DIR',
  description: [
    'Stop the process that uses the file store first. The old directory is only read; the target must be',
    'empty (a new lmdb:DIR, or a redis:// store). Afterwards start the process with --store set to the target.',
  ].join('\n'),
  options: {
    from: { type: 'string', value: 'file:DIR', help: 'the old store' },
    to: { type: 'string', value: 'SPEC', help: 'the new, empty store: lmdb:DIR or redis://HOST:PORT' },
  },
  async run(values) {
    const from = stringOption(values, 'from', true);
    if (!from.startsWith('file:') || from === 'file:') throw new UsageError('--from must be file:DIR');
    const to = await openStore(stringOption(values, 'to', true));
    try {
      const { records, keys } = await migrateFileStore(from.slice('file:'.length), to);
      console.log(`migrated ${records} log records; the new store holds ${keys} keys`);
    } finally {
      await to.close();
    }
    return 0;
  },
};
