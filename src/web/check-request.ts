import { sanitizeUserText } from "../agent/sanitize.js";

export type RequestCheck = { ok: true; request: string } | { ok: false; reply: string };

/**
 * Cleans a request the way the model's prompt is cleaned (invisible and control characters, HTML comments, and
 * NFC so that look-alike spellings compare equal), so that the pull request, the status comment and the model all
 * get the same text, and refuses one that is empty after cleaning or longer than maxChars.
 */
export function checkRequest(request: string, options: { maxChars: number; login: string }): RequestCheck {
  const clean = sanitizeUserText(request.normalize("NFC"));
  if (clean.length > options.maxChars) {
    return {
      ok: false,
      reply:
        `@${options.login}, this request is ${clean.length} characters long; Taskbox takes requests of up to ` +
        `${options.maxChars} characters. Put long material (logs, specifications) in the issue or in a file of the ` +
        "repository, and refer to it in a shorter request.",
    };
  }
  if (clean === "") {
    return {
      ok: false,
      reply: `@${options.login}, this request is empty once invisible characters and HTML comments are removed, so Taskbox did not start it.`,
    };
  }
  return { ok: true, request: clean };
}
