import { AppError } from '../../errors/app-error.ts';
import { nameUniqueKeyOf, uniqueViolationOf } from '../../storage/unique-violation.ts';

/**
 * The DUPLICATE_NAME error for a database error that is a name-uniqueness violation: the loser of
 * two concurrent creates (or renames) of one name got past the in-transaction "name taken?" check
 * and hit the unique index. The client sees what the sequential case gives it (400
 * DUPLICATE_NAME) instead of a 500. Any other error, including any other unique key, gives
 * undefined and stays a 500. The name itself is not in the message: SQLite does not report it.
 */
export function duplicateNameErrorOf(err: unknown): AppError | undefined {
  const violation = uniqueViolationOf(err);
  const key = violation ? nameUniqueKeyOf(violation) : undefined;
  if (!key) return undefined;
  // By sound, not spelling: "a user", "an organization", "an API token".
  const article = /^(?:[aeio]|API)/.test(key.entity) ? 'An' : 'A';
  return new AppError('DUPLICATE_NAME', {
    message: `${article} ${key.entity} with that name already exists${key.within}.`,
    detail: `lost a race on the unique key ${key.constraint} (${key.table})`,
    cause: err,
  });
}
