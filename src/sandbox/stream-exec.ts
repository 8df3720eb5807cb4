import { PassThrough, type Readable } from "node:stream";
import type Docker from "dockerode";
import { exitCodeOf, ROOT_PATH } from "./exec-in-container.js";

const STDERR_KEEP_BYTES = 64 * 1024;

export interface StreamExecRequest {
  /** An absolute program path and its arguments: no shell, no PATH lookup. */
  argv: string[];
  user: "taskbox" | "root";
  /** Sent to the command's stdin, which is closed at its end. */
  input?: Readable;
  /** Receives the command's stdout, and its end. */
  output?: NodeJS.WritableStream;
}

export class StreamExecError extends Error {
  constructor(argv: string[], exitCode: number | null, stderr: string) {
    super(`\`${argv.join(" ")}\` in the sandbox exited with code ${exitCode ?? "unknown"}: ${stderr.trim()}`);
    this.name = "StreamExecError";
  }
}

/**
 * Runs one program in the container with byte streams in and out (tar, for copies). Docker's archive API is not used
 * for copies: under gVisor (runsc) files it writes into a running container's root filesystem are invisible inside,
 * so one code path streams through an exec for every runtime. Throws StreamExecError unless the program exits 0.
 */
export async function streamExec(container: Docker.Container, request: StreamExecRequest): Promise<{ stderr: string }> {
  const exec = await container.exec({
    Cmd: request.argv,
    Env: [`PATH=${ROOT_PATH}`],
    User: request.user,
    WorkingDir: "/",
    AttachStdin: request.input !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: request.input !== undefined });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let errorText = "";
  stderr.on("data", (chunk: Buffer) => {
    errorText = `${errorText}${chunk.toString("utf8")}`.slice(-STDERR_KEEP_BYTES);
  });
  (container.modem as Docker["modem"]).demuxStream(stream, stdout, stderr);
  const ended = new Promise<void>((resolve, reject) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", reject);
  });
  if (request.output) stdout.pipe(request.output);
  else stdout.resume();
  const sent = request.input ? send(request.input, stream) : Promise.resolve();
  await Promise.all([sent, ended]);
  stdout.end();
  stderr.end();
  const exitCode = await exitCodeOf(exec);
  if (exitCode !== 0) throw new StreamExecError(request.argv, exitCode, errorText);
  return { stderr: errorText };
}

/** Ending the hijacked socket's writable side (as pipe does at the input's end) closes the program's stdin. */
function send(input: Readable, socket: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    input.once("end", resolve);
    input.once("error", reject);
    input.pipe(socket);
  });
}
