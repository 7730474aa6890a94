import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from './store.ts';

/**
 * Takes `DIR/LOCK` (created exclusively, holding our pid) and returns its release function. A lock left by a
 * process that no longer exists (killed, crashed) is taken over; a live holder, including this process,
 * gives STORE_LOCKED naming the directory and the holder's pid.
 */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  if (!(await tryCreate(path))) {
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && isAlive(holder)) {
      throw new StoreError('STORE_LOCKED', `store directory ${dir} is in use by process ${holder} (${path})`);
    }
    await unlink(path).catch(() => {});
    if (!(await tryCreate(path))) {
      throw new StoreError('STORE_LOCKED', `store directory ${dir} was locked by another process just now`);
    }
  }
  return () => unlink(path);
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
