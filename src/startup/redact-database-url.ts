/**
 * The database URL as it may appear in a message: the password (and any `password=` query
 * parameter) replaced by `***`, so an operator sees which server, user and database are meant.
 * An unparsable URL is not echoed at all: its password could sit anywhere in it.
 */
export function redactDatabaseUrl(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return 'OPENDIRECTOR_DATABASE_URL';
  }
  if (url.password) url.password = '***';
  if (url.searchParams.has('password')) url.searchParams.set('password', '***');
  return url.toString().replace('%2A%2A%2A', '***');
}
