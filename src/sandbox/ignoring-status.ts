/** Resolves undefined instead of failing when Docker answers with one of statusCodes (gone, already going). */
export async function ignoringStatus<T>(operation: Promise<T>, statusCodes: number[]): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === "number" && statusCodes.includes(statusCode)) return undefined;
    throw error;
  }
}
