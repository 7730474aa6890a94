import { readFile } from 'node:fs/promises';

/** Resident set size of process `pid` in MiB, from /proc/PID/status (Linux); undefined once it is gone. */
export async function processRssMiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}
