import type { PhaseName } from "../report/task-status.js";

/** A failure the maintainer should read: which phase, what happened, and the output that shows why. */
export class TaskFailure extends Error {
  constructor(
    readonly phase: PhaseName,
    message: string,
    readonly logTail?: string,
  ) {
    super(message);
    this.name = "TaskFailure";
  }
}
