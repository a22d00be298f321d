// Where the planner's LLM endpoint comes from: a JSON config file and GANGLION_LLM_* environment variables (the environment wins); none = offline rule planner.
import { readJsonFile } from '../util/read-json.ts';
import { z } from 'zod';
import { zodIssue } from '../util/zod-issue.ts';

export const LlmConfigSchema = z.strictObject({
  /** OpenAI-compatible base, ending before /chat/completions: http://localhost:8000/v1 (vLLM), http://localhost:11434/v1 (Ollama). */
  base_url: z.url({ protocol: /^https?$/, error: 'base_url: an http(s) URL such as http://localhost:8000/v1' }),
  model: z.string().min(1).max(200),
  /** Sent as "Authorization: Bearer ..."; local servers usually need none. */
  api_key: z.string().max(4096).optional(),
  /** Stream the reply (SSE): first tokens sooner, and a stalled server is noticed by the timeout. */
  stream: z.boolean().default(true),
  /** [ms] per attempt, from sending the request to the end of the reply. */
  timeout_ms: z.number().int().min(100).max(600_000).default(60_000),
  /** Extra attempts after a 429, a 5xx, a network error or a timeout. */
  retries: z.number().int().min(0).max(10).default(3),
  /** [ms] first backoff; doubles per retry, with jitter, up to backoff_max_ms (Retry-After wins when shorter than that). */
  backoff_ms: z.number().int().min(0).max(60_000).default(500),
  backoff_max_ms: z.number().int().min(0).max(120_000).default(8_000),
  /** [bytes] largest reply body accepted; a bigger one is cut off and rejected as oversized. */
  max_reply_bytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().max(1_000_000).optional(),
});
export type LlmConfig = z.output<typeof LlmConfigSchema>;
export type LlmConfigInput = z.input<typeof LlmConfigSchema>;

export const ENV = {
  base_url: 'GANGLION_LLM_BASE_URL',
  model: 'GANGLION_LLM_MODEL',
  api_key: 'GANGLION_LLM_API_KEY',
  config: 'GANGLION_LLM_CONFIG',
} as const;

export function parseLlmConfig(raw: unknown, origin: string): LlmConfig {
  const r = LlmConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`LLM config (${origin}): ${zodIssue(r.error)}`);
  }
  return r.data;
}

/**
 * The LLM config, or null when none is configured (the planner then uses the offline rule planner).
 * File: `file` or $GANGLION_LLM_CONFIG; then GANGLION_LLM_BASE_URL / _MODEL / _API_KEY override its fields.
 */
export function loadLlmConfig(o: { env?: NodeJS.ProcessEnv; file?: string; overrides?: Partial<LlmConfigInput> } = {}): LlmConfig | null {
  const env = o.env ?? process.env;
  const file = o.file ?? env[ENV.config];
  let raw: Record<string, unknown> = {};
  if (file) {
    // Only the shape here: the file's fields are validated once merged with the environment's, below.
    raw = readJsonFile(file, z.record(z.string(), z.unknown()), {
      say: { missing: (f) => `LLM config file ${f} does not exist`, not_json: (f, d) => `LLM config file ${f} is not JSON: ${d}`, invalid: (f) => `LLM config file ${f}: expected a JSON object` },
      ifMissing: `create it, or unset ${ENV.config}`,
    });
  }
  const fromEnv: Record<string, unknown> = {};
  if (env[ENV.base_url]) fromEnv.base_url = env[ENV.base_url];
  if (env[ENV.model]) fromEnv.model = env[ENV.model];
  if (env[ENV.api_key]) fromEnv.api_key = env[ENV.api_key];
  const merged: Record<string, unknown> = { ...raw, ...fromEnv };
  for (const [k, v] of Object.entries(o.overrides ?? {})) if (v !== undefined) merged[k] = v;
  if (merged.base_url === undefined && merged.model === undefined) return null;
  if (merged.base_url === undefined) throw new Error(`an LLM model is set but no base URL: set ${ENV.base_url} (e.g. http://localhost:11434/v1)`);
  if (merged.model === undefined) throw new Error(`an LLM base URL is set but no model: set ${ENV.model}`);
  return parseLlmConfig(merged, file ? `${file} + environment` : 'environment');
}
