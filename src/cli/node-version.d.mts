export function requiredNodeVersion(): string;
export function nodeVersionProblem(version?: string): string | undefined;
