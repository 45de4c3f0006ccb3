/** An error a REST route answers with its status and `{"detail": message}`, as FastAPI's HTTPException. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
