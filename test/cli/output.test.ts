import { describe, expect, it } from 'vitest';
import { formatTable, prettyBody } from '../../src/cli/output.ts';
import { describeError } from '../../src/cli/exit-codes.ts';
import { OpenDirectorError } from '../../src/client/index.ts';

describe('CLI output', () => {
  it('aligns table columns and shows empty cells as -', () => {
    expect(formatTable(['NAME', 'OWNER'], [['ci-pipeline', 'alice'], ['x', null]])).toBe('NAME         OWNER\nci-pipeline  alice\nx            -\n');
  });

  it('pretty-prints JSON and XML, keeping escaped text as sent, and leaves a DTD alone', () => {
    expect(prettyBody('{"a":[1]}', 'application/json;version=37.0')).toBe('{\n  "a": [\n    1\n  ]\n}\n');
    expect(prettyBody('<A x="a&amp;b"><B/></A>', 'application/vnd.vmware.vcloud.orglist+xml')).toBe('<A x="a&amp;b">\n  <B/>\n</A>\n');
    const dtd = '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>';
    expect(prettyBody(dtd, 'application/xml')).toBe(`${dtd}\n`);
  });

  it('maps HTTP statuses to the documented exit codes', () => {
    const err = (status: number) => new OpenDirectorError({ status, minorErrorCode: 'X', message: 'm', requestId: null, method: 'GET', url: 'http://h/x' });
    expect([401, 403, 400, 404, 409, 500, 503, 429].map((s) => describeError(err(s)).exitCode)).toEqual([3, 4, 5, 5, 5, 7, 7, 1]);
    expect(describeError(err(404)).line).toBe('opendirector: m (X, HTTP 404)');
  });
});
