import { MemoryStore } from '../../src/store/memory-store.ts';
import { describeStoreConformance } from './store-conformance.ts';

describeStoreConformance('memory', {
  open: async () => new MemoryStore(),
  fresh: () => {},
  persistent: false,
});
