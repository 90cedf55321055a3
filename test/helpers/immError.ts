// The ImmError an in-process call to the offline IMM's service rejects with, for unit tests.
import { ImmError } from '../../local/imm';

/** Resolves to the ImmError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function immFailure(promise: Promise<unknown>): Promise<ImmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ImmError)) throw new Error(`expected an ImmError, got ${String(error)}`);
  return error;
}
