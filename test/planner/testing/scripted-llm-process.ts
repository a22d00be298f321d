// The scripted Chat Completions server in a process of its own (forked by the benchmark), so its work is not counted as the planner's: like a remote endpoint.
import { startScriptedLlm } from './scripted-llm.ts';

/** A streamed three-step plan, one chunk every chunk_delay_ms (argv[2], default 200: ~20 tokens/s, a local model's pace). */
const chunk_delay_ms = Number(process.argv[2] ?? 200);
const llm = await startScriptedLlm(() => ({
  chunk_delay_ms,
  tool_calls: [
    { name: 'drive_to', arguments: { x_m: 0.6, y_m: 0, standoff_m: 0.24 } },
    { name: 'reach', arguments: { x_m: 0.6, y_m: 0 } },
    { name: 'grasp', arguments: { object_id: 'b1' } },
  ],
}));
process.send?.({ base_url: llm.base_url });
process.on('disconnect', () => void llm.close().then(() => process.exit(0)));
