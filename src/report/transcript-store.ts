import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { sliceChars } from "./render-status.js";
import { redactEvent, type TranscriptEntry, type TranscriptEvent } from "./transcript-events.js";

/** As long as task records live (task-board.ts), so a task's page lasts as long as `/taskbox status` knows it. */
export const TRANSCRIPT_TTL_S = 30 * 24 * 3600;
/** A whole transcript: beyond this, one "truncated" event is stored and later events are dropped (results are kept). */
export const TRANSCRIPT_MAX_BYTES = 2 * 1024 * 1024;
/** One output or message field; longer text keeps its start and its end. */
export const FIELD_MAX_CHARS = 32_000;
const READ_BATCH = 500;

export interface TranscriptWriter {
  /** Stores an event after the ones before it; never throws (a transcript must not fail its task). */
  append(event: TranscriptEvent): void;
  /** Resolves once every appended event is stored. */
  flush(): Promise<void>;
}

export interface TranscriptStore {
  /** A writer whose every string passes through `redact` before it reaches Redis. */
  writer(taskId: string, redact: (text: string) => string): TranscriptWriter;
  /** The events stored after `afterId` (all of them without it), oldest first. */
  read(taskId: string, afterId?: string): Promise<TranscriptEntry[]>;
  /** Waits up to blockMs for events after `afterId`; needs a connection of its own (it blocks). */
  follow(connection: Redis, taskId: string, afterId: string, blockMs: number): Promise<TranscriptEntry[]>;
}

// Adds an event unless the transcript is over its size; the first event over it is replaced by the "truncated" marker.
// Results (ARGV[4] = 1) always go in, so the page can say how the task ended.
const APPEND = `
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local size = string.len(ARGV[1])
local cap = tonumber(ARGV[2])
local entry = ARGV[1]
if ARGV[4] ~= '1' and used + size > cap then
  if used > cap then return 0 end
  entry = ARGV[5]
  size = cap + 1 - used
end
redis.call('XADD', KEYS[1], '*', 'e', entry)
redis.call('SET', KEYS[2], used + size, 'EX', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

export interface TranscriptStoreOptions {
  redis: Redis;
  prefix: string;
  log: Logger;
  maxBytes?: number;
}

export function createTranscriptStore(options: TranscriptStoreOptions): TranscriptStore {
  const { redis, log } = options;
  const maxBytes = options.maxBytes ?? TRANSCRIPT_MAX_BYTES;
  const base = `${options.prefix}:taskbox:transcript`;
  const streamKey = (taskId: string) => `${base}:${taskId}`;
  const marker = JSON.stringify({ at: 0, event: { type: "truncated", limitBytes: maxBytes } });

  return {
    writer(taskId, redact) {
      let chain = Promise.resolve();
      return {
        append(event) {
          const stored = JSON.stringify({ at: Date.now(), event: capFields(redactEvent(event, redact)) });
          const essential = event.type === "result" ? "1" : "0";
          chain = chain
            .then(() =>
              redis.eval(
                APPEND,
                2,
                streamKey(taskId),
                `${streamKey(taskId)}:bytes`,
                stored,
                maxBytes,
                TRANSCRIPT_TTL_S,
                essential,
                marker,
              ),
            )
            .then(
              () => undefined,
              (err: unknown) => log.warn({ err, taskId }, "a transcript event could not be stored"),
            );
        },
        flush: () => chain,
      };
    },

    async read(taskId, afterId) {
      const entries: TranscriptEntry[] = [];
      let start = afterId ? `(${afterId}` : "-";
      for (;;) {
        const batch = await redis.xrange(streamKey(taskId), start, "+", "COUNT", READ_BATCH);
        entries.push(...batch.map(toEntry));
        if (batch.length < READ_BATCH) return entries;
        start = `(${batch[batch.length - 1]![0]}`;
      }
    },

    async follow(connection, taskId, afterId, blockMs) {
      const reply = await connection.xread(
        "COUNT",
        READ_BATCH,
        "BLOCK",
        blockMs,
        "STREAMS",
        streamKey(taskId),
        afterId,
      );
      return (reply?.[0]?.[1] ?? []).map(toEntry);
    },
  };
}

function toEntry([id, fields]: [string, string[]]): TranscriptEntry {
  const stored = JSON.parse(fields[1] ?? "{}") as { at: number; event: TranscriptEvent };
  return { id, at: stored.at, event: stored.event };
}

function capFields(event: TranscriptEvent): TranscriptEvent {
  switch (event.type) {
    case "output":
    case "message":
      return { ...event, text: cap(event.text) };
    case "command":
      return { ...event, command: cap(event.command), output: cap(event.output) };
    case "result":
      return event.answer === undefined ? event : { ...event, answer: cap(event.answer) };
    default:
      return event;
  }
}

/** Keeps the start and the end of a long text: what ran and how it ended. */
function cap(text: string): string {
  if (text.length <= FIELD_MAX_CHARS) return text;
  const half = FIELD_MAX_CHARS / 2;
  const tail = text.slice(-half).replace(/^[\udc00-\udfff]/, ""); // never half a surrogate pair
  return `${sliceChars(text, half)}\n[... ${text.length - FIELD_MAX_CHARS} characters omitted ...]\n${tail}`;
}
