import { describe, expect, it } from "vitest";
import { ExecOutput } from "../../../src/sandbox/exec-output.js";

function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function collect(maxBytes: number, chunks: Buffer[]): { output: string; omittedBytes: number } {
  const out = new ExecOutput(maxBytes);
  for (const chunk of chunks) out.write(chunk);
  const { output, omittedBytes } = out.result();
  return { output: output.toString("latin1"), omittedBytes };
}

describe("ExecOutput", () => {
  it("joins stdout and stderr frames in arrival order", () => {
    const stream = Buffer.concat([frame(1, "out1 "), frame(2, "err1 "), frame(1, "out2")]);
    expect(collect(1000, [stream])).toEqual({ output: "out1 err1 out2", omittedBytes: 0 });
  });

  it("reassembles frames split at every byte position", () => {
    const stream = Buffer.concat([frame(1, "hello "), frame(2, "wor"), frame(1, "ld")]);
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(collect(1000, [stream.subarray(0, cut), stream.subarray(cut)]).output).toBe("hello world");
    }
    const byteByByte = [...stream].map((byte) => Buffer.from([byte]));
    expect(collect(1000, byteByByte).output).toBe("hello world");
  });

  it("keeps binary payloads byte for byte", () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const out = new ExecOutput(1000);
    out.write(frame(1, bytes));
    expect(out.result().output.equals(bytes)).toBe(true);
  });

  it("keeps everything when the output is exactly at the cap", () => {
    expect(collect(10, [frame(1, "0123456789")])).toEqual({ output: "0123456789", omittedBytes: 0 });
  });

  it("keeps the first and last halves past the cap and counts the dropped middle", () => {
    const text = "HEAD-" + "m".repeat(1000) + "-TAIL";
    expect(collect(10, [frame(1, text)])).toEqual({ output: "HEAD--TAIL", omittedBytes: 1000 });
  });

  it("keeps the right tail across many small frames from both streams", () => {
    const chunks: Buffer[] = [];
    let all = "";
    for (let i = 0; i < 5000; i++) {
      const piece = `${i % 2 ? "e" : "o"}${i};`;
      chunks.push(frame(i % 2 ? 2 : 1, piece));
      all += piece;
    }
    const { output, omittedBytes } = collect(101, chunks);
    expect(output).toBe(all.slice(0, 50) + all.slice(-51));
    expect(omittedBytes).toBe(all.length - 101);
  });

  it("drops all output with a zero cap but still counts it", () => {
    expect(collect(0, [frame(1, "abc"), frame(2, "de")])).toEqual({ output: "", omittedBytes: 5 });
  });
});
