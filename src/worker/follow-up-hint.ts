import type { TaskBoard, ThreadRef } from "../queue/task-board.js";
import type { FollowUpHint, TaskJobData } from "../queue/task-job.js";

const EARLIER_TASKS = 10;

/** What the tasks before this one on its pull request did: a pull request task's own, or the one its issue opened. */
export async function followUpHint(
  board: TaskBoard,
  thread: ThreadRef,
  data: Pick<TaskJobData, "taskId" | "thread" | "issue">,
): Promise<FollowUpHint> {
  let pullNumber: number | undefined = data.thread === "pull" ? data.issue.number : undefined;
  if (pullNumber === undefined) {
    const earlier = await board.history(thread, 50);
    pullNumber = earlier.find((record) => record.taskId !== data.taskId && record.pullRequest)?.pullRequest?.number;
  }
  if (pullNumber === undefined) return { earlierTasks: [] };
  const tasks = await board.pullHistory({ repository: thread.repository, number: pullNumber });
  const earlierTasks = tasks
    .filter((record) => record.taskId !== data.taskId)
    .slice(-EARLIER_TASKS)
    .map(({ taskId, requestedBy, request, state, summary }) => ({ taskId, requestedBy, request, state, summary }));
  return { pullNumber, earlierTasks };
}
