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

/** A model id that is not in the registry: 422 naming the field, with the ids that are. */
export const unregisteredModel = (field: string, id: string, registered: string[]): AppError =>
  new AppError(422, 'unknown_model', `${field}: model "${id}" is not registered`, { field, registered });

export const notFound = (what: string, id: string, field?: string): AppError =>
  new AppError(404, 'not_found', `${what} "${id}" does not exist`, field ? { field } : {});
