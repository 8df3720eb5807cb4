import type { ProbotOctokit } from "probot";

/**
 * An authenticated GitHub client, as the rest of Taskbox passes it around: only src/github/ calls its methods,
 * so code elsewhere names this type and hands the client to the functions of src/github/.
 */
export type GitHubClient = ProbotOctokit;
