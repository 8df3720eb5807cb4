import { resetCacheGeneration } from "../../queue/cache-store.js";
import { postComment } from "../../github/comments.js";
import type { SubcommandHandler } from "../subcommands.js";

/**
 * `/taskbox reset-cache`: from now on no task of the repository resumes an environment cached before, on any worker;
 * the next one runs its setup from scratch. Only Redis is touched here: the workers remove the old images from their
 * Docker engines when they next sweep their cache.
 */
export const resetCacheCommand: SubcommandHandler = async (context, deps, { login, log }) => {
  const { repository } = context.payload;
  const redis = await deps.queue.getBackend().client;
  await resetCacheGeneration(redis, deps.queue.opts.prefix ?? "bull", repository.full_name);
  log.info({ login }, "environment cache reset");
  await postComment(
    context.octokit,
    context.issue(),
    `@${login}, the cached environments of \`${repository.full_name}\` are dropped: the next task runs the setup ` +
      "script in a fresh environment. The workers delete the old snapshots from disk at their next cache sweep.",
  );
};
