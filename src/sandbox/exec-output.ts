const FRAME_HEADER_BYTES = 8;

/**
 * Turns Docker's multiplexed exec stream (Tty false: 8-byte header frames, stream type then big-endian
 * payload size) into one buffer of stdout and stderr in arrival order, capped at maxBytes.
 * Past the cap it keeps the first and the last half, because both the start of a command's output
 * (what ran) and its end (the error, the summary) matter; the dropped middle is only counted.
 */
export class ExecOutput {
  readonly #headCap: number;
  readonly #tailCap: number;
  readonly #head: Buffer[] = [];
  #headLength = 0;
  // A queue: chunks before #tailStart have been dropped; compacted now and then to stay linear.
  #tail: Buffer[] = [];
  #tailStart = 0;
  #tailLength = 0;
  #totalLength = 0;
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerLength = 0;
  #frameRemaining = 0;

  readonly #onPayload: ((payload: Buffer) => void) | undefined;

  constructor(maxBytes: number, onPayload?: (payload: Buffer) => void) {
    this.#onPayload = onPayload;
    this.#headCap = Math.floor(maxBytes / 2);
    this.#tailCap = maxBytes - this.#headCap;
  }

  /** Accepts raw stream chunks; frames may be split across chunks at any byte. */
  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#frameRemaining > 0) {
        const end = Math.min(chunk.length, offset + this.#frameRemaining);
        this.#append(chunk.subarray(offset, end));
        this.#frameRemaining -= end - offset;
        offset = end;
        continue;
      }
      const take = Math.min(FRAME_HEADER_BYTES - this.#headerLength, chunk.length - offset);
      chunk.copy(this.#header, this.#headerLength, offset, offset + take);
      this.#headerLength += take;
      offset += take;
      if (this.#headerLength === FRAME_HEADER_BYTES) {
        this.#frameRemaining = this.#header.readUInt32BE(4);
        this.#headerLength = 0;
      }
    }
  }

  result(): { output: Buffer; omittedBytes: number } {
    return {
      output: Buffer.concat([...this.#head, ...this.#tail.slice(this.#tailStart)]),
      omittedBytes: this.#totalLength - this.#headLength - this.#tailLength,
    };
  }

  #append(payload: Buffer): void {
    this.#onPayload?.(payload);
    this.#totalLength += payload.length;
    let rest = payload;
    if (this.#headLength < this.#headCap) {
      const take = Math.min(this.#headCap - this.#headLength, rest.length);
      this.#head.push(Buffer.from(rest.subarray(0, take)));
      this.#headLength += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.#tailCap === 0) return;
    this.#tail.push(Buffer.from(rest.subarray(Math.max(0, rest.length - this.#tailCap))));
    this.#tailLength += Math.min(rest.length, this.#tailCap);
    this.#trimTail();
  }

  #trimTail(): void {
    let excess = this.#tailLength - this.#tailCap;
    while (excess > 0) {
      const first = this.#tail[this.#tailStart]!;
      if (first.length <= excess) {
        excess -= first.length;
        this.#tailStart++;
      } else {
        this.#tail[this.#tailStart] = first.subarray(excess);
        excess = 0;
      }
    }
    this.#tailLength = Math.min(this.#tailLength, this.#tailCap);
    if (this.#tailStart > 1024 && this.#tailStart * 2 > this.#tail.length) {
      this.#tail = this.#tail.slice(this.#tailStart);
      this.#tailStart = 0;
    }
  }
}
