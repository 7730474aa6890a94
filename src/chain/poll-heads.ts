import type { ChainHead } from './chain-port.ts';

/**
 * Calls `fetchHead` every `intervalMs` (measured from the end of the previous call, so calls never overlap)
 * and hands each result to `onHead`, each failure to `onError`, until the returned function is called.
 */
export function pollHeads(
  fetchHead: () => Promise<ChainHead>,
  intervalMs: number,
  onHead: (head: ChainHead) => void,
  onError: (error: Error) => void,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    try {
      const head = await fetchHead();
      if (!stopped) onHead(head);
    } catch (err) {
      if (!stopped) onError(err as Error);
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
