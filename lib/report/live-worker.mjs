// Entry of the live page's worker thread: TypeScript through tsx, as in the main thread.
import { register } from 'tsx/esm/api';

register();
await import('./live-worker.ts');
