/** An error the API answers as `{"error": {code, message, details}}` with its HTTP status. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id: string, field?: string): AppError =>
  new AppError(404, 'not_found', `${what} "${id}" does not exist`, field ? { field } : {});
