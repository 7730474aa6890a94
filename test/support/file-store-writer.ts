/**
 * Child process for crash tests: opens the file store in argv[2] and writes keys w00000, w00001, … durably
 * with 8 writers in flight, printing "written <key>" after each write resolved, until it is killed.
 */
import { FileStore } from '../../src/store/file-store.ts';

const store = await FileStore.open(process.argv[2]!);
let next = 0;
const value = new Uint8Array(200).fill(42);
const writer = async () => {
  for (;;) {
    const key = `w${String(next++).padStart(5, '0')}`;
    await store.put(key, value, { durable: true });
    process.stdout.write(`written ${key}\n`);
  }
};
await Promise.all(Array.from({ length: 8 }, writer));
