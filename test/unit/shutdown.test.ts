import { EventEmitter } from "node:events";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { onShutdownSignals } from "../../src/shutdown.js";

function setUp() {
  const source = new EventEmitter();
  const exits: number[] = [];
  let finish!: () => void;
  const shutdowns: string[] = [];
  onShutdownSignals({
    source: { on: (signal, listener) => source.on(signal, listener) },
    log: pino({ level: "silent" }),
    exit: (code) => exits.push(code),
    shutdown: (signal) => {
      shutdowns.push(signal);
      return new Promise<void>((resolve) => (finish = resolve));
    },
  });
  return { source, exits, shutdowns, finish: () => finish() };
}

describe("onShutdownSignals", () => {
  it.each(["SIGTERM", "SIGINT"])("shuts down gracefully on %s, then exits 0", async (signal) => {
    const { source, exits, shutdowns, finish } = setUp();
    source.emit(signal);
    expect(shutdowns).toStrictEqual([signal]);
    expect(exits).toStrictEqual([]);
    finish();
    await new Promise(setImmediate);
    expect(exits).toStrictEqual([0]);
  });

  it("stops at once on a second signal, without a second shutdown", () => {
    const { source, exits, shutdowns } = setUp();
    source.emit("SIGTERM");
    source.emit("SIGINT");
    expect(shutdowns).toStrictEqual(["SIGTERM"]);
    expect(exits).toStrictEqual([1]);
  });
});
