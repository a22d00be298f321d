// The OpenAI-compatible Chat Completions wire format (request, reply, stream chunk), as zod schemas: what vLLM, llama.cpp, Ollama and hosted APIs serve.
import { z } from 'zod';

/** A message as we send it. Tool results answer the assistant's tool calls by id. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ToolDef {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolDef[];
  tool_choice?: 'auto' | 'none' | 'required';
  stream?: boolean;
  temperature?: number;
  max_tokens?: number;
}

// Replies: loose objects, since servers add fields of their own; only what we read is checked.

/** Some servers (older Ollama) send arguments as an object instead of a JSON string: both are accepted, as text. */
const Arguments = z.union([z.string(), z.record(z.string(), z.unknown()).transform((o) => JSON.stringify(o))]);

export const ReplyToolCall = z.looseObject({
  id: z.string().max(256).optional(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string().max(256), arguments: Arguments.default('{}') }),
});

export const ChatResponse = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({
          role: z.string().optional(),
          content: z.string().nullable().optional(),
          tool_calls: z.array(ReplyToolCall).nullable().optional(),
        }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1, 'the reply has no choices'),
});

export const ChunkToolCall = z.looseObject({
  index: z.number().int().min(0).max(100_000).optional(),
  id: z.string().max(256).nullable().optional(),
  type: z.string().nullable().optional(),
  function: z.looseObject({ name: z.string().nullable().optional(), arguments: z.string().nullable().optional() }).nullable().optional(),
});

export const ChatChunk = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        delta: z
          .looseObject({
            role: z.string().nullable().optional(),
            content: z.string().nullable().optional(),
            tool_calls: z.array(ChunkToolCall).nullable().optional(),
          })
          .nullable()
          .optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .default([]),
});

/** The error body OpenAI-compatible servers send with 4xx/5xx. */
export const ErrorBody = z.looseObject({ error: z.union([z.string(), z.looseObject({ message: z.string().optional() })]) });

/** An assistant reply, assembled (from one JSON body or from stream chunks), before any validation of its meaning. */
export interface AssistantReply {
  content: string | null;
  tool_calls: { id: string; name: string; arguments: string }[];
  finish_reason: string | null;
  /** Body bytes received. */
  bytes: number;
}
