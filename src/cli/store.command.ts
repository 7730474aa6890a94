import { type Command, UsageError } from './command.ts';
import { storeMigrateCommand } from './store-migrate.command.ts';

/** `allegro store …`: store maintenance; its actions are subcommands. */
export const storeCommand: Command = {
  name: 'store',
  summary: 'store maintenance: migrate a file store of older versions into the embedded (lmdb) store',
  usage: 'store migrate --from file:DIR --to lmdb:NEW_DIR',
  subcommands: { migrate: storeMigrateCommand },
  options: {},
  async run() {
    throw new UsageError('name an action: migrate');
  },
};
