import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTokenFile, tokenFileFor, writeTokenFile } from '../../src/cli/token-file.ts';
import { CliError } from '../../src/cli/exit-codes.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendirector-token-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the API token file (Go SDK / Terraform format, spec §11)', () => {
  it('round-trips: written with mode 0600 in the Terraform shape, read back to the token', () => {
    const file = path.join(dir, 'nested', 'token.json');
    const content = tokenFileFor('odt_abc123', false, new Date('2024-05-01T10:11:12.345Z'));
    writeTokenFile(file, content, false);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      token_type: 'API Token', refresh_token: 'odt_abc123', updated_by: expect.stringMatching(/isProvider:false\)$/), updated_on: '2024-05-01T10:11:12Z',
    });
    expect(readTokenFile(file)).toBe('odt_abc123');
  });

  it('refuses to overwrite an existing file unless forced (it may hold the only copy of a secret)', () => {
    const file = path.join(dir, 'keep.json');
    writeTokenFile(file, tokenFileFor('odt_first', true), false);
    expect(() => writeTokenFile(file, tokenFileFor('odt_second', true), false)).toThrow(/already exists; pass --force/);
    writeTokenFile(file, tokenFileFor('odt_second', true), true);
    expect(readTokenFile(file)).toBe('odt_second');
  });

  it('also reads a file holding just the token, and explains unusable files as usage errors', () => {
    const bare = path.join(dir, 'bare.txt');
    fs.writeFileSync(bare, 'odt_bare\n');
    expect(readTokenFile(bare)).toBe('odt_bare');
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"token_type":"API Token"}');
    expect(() => readTokenFile(broken)).toThrow(CliError);
    expect(() => readTokenFile(broken)).toThrow(/has no "refresh_token"/);
    expect(() => readTokenFile(path.join(dir, 'missing.json'))).toThrow(/Token file .*missing.json does not exist: check the path/);
  });
});
