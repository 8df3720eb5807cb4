import { mayBeCommand } from "./parse-command.js";

interface Actor {
  type?: string;
}

interface WebhookShape {
  action?: string;
  sender?: Actor;
  comment?: { body?: string; user?: Actor | null };
  issue?: { pull_request?: unknown };
  label?: { name?: string };
}

const isBot = (actor: Actor | null | undefined) => !actor || actor.type === "Bot";

/**
 * Whether a webhook may ask Taskbox for something, read from the payload alone (no API call): a comment that starts
 * like a command, or a label added to an issue or pull request. Bots never ask. Which command word and which label
 * a repository uses is in its config, so the intake step decides the rest.
 */
export function mayAskTaskbox(name: string, payload: WebhookShape): boolean {
  if (isBot(payload.sender)) return false;
  switch (name) {
    case "issue_comment":
      return payload.action === "created" && !isBot(payload.comment?.user) && mayBeCommand(payload.comment?.body ?? "");
    case "issues":
      // A pull request's label arrives as pull_request.labeled as well.
      return payload.action === "labeled" && payload.label !== undefined && !payload.issue?.pull_request;
    case "pull_request":
      return payload.action === "labeled" && payload.label !== undefined;
    default:
      return false;
  }
}
