// Imported first by the page: zod probes `new Function` for its JIT when schemas are built, which a strict CSP reports as a violation.
import { z } from 'zod';

// The page's payloads are small; zod's plain (non-JIT) parser is fast enough and needs no eval.
z.config({ jitless: true });
