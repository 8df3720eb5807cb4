import { renderConfigError } from "../../report/render-replies.js";
import { pullRequestRefusal } from "../check-pull-request.js";
import { commentTaskRequest, commentThread } from "../comment-thread.js";
import { startTask } from "../start-task.js";
import type { SubcommandHandler } from "../subcommands.js";

/**
 * `/taskbox env`: prepares the environment exactly as a task would (setup, or a cached environment plus the
 * maintenance script) and reports in its status comment, without calling the model. On a pull request it uses the
 * pull request's branch.
 */
export const envCheckCommand: SubcommandHandler = async (context, deps, { login, command, config, log }) => {
  const reply = (body: string) => context.octokit.rest.issues.createComment(context.issue({ body }));
  if (!config.ok) return void (await reply(renderConfigError({ error: config.error })));
  const { kind, ref } = commentThread(context);
  if (kind === "pull") {
    const refusal = await pullRequestRefusal(context.octokit, context.issue({ number: ref.number }), login);
    if (refusal) return void (await reply(refusal));
  }
  await startTask({ octokit: context.octokit, log }, deps, {
    ...commentTaskRequest(context, { trigger: { kind: "comment" }, request: `${command} env`, config: config.config }),
    kind: "env-check",
  });
};
