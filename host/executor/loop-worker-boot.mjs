// Worker entry: registers tsx's TypeScript loader in this thread (Node 20 workers do not inherit it), then runs the loop.
import { register } from 'tsx/esm/api';

register();
await import('./loop-worker.ts');
