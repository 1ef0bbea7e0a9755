import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { promptLine, type PromptIo } from '../../src/cli/prompt.ts';

/** A fake terminal: what readline sees when a person types into `opendirector login`. */
function terminal(): { io: PromptIo; input: PassThrough; shown: () => string; exited: Promise<number> } {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  let text = '';
  output.setEncoding('utf8').on('data', (d: string) => { text += d; });
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => { exit = resolve; });
  return { io: { input, output, exit }, input, shown: () => text, exited };
}

describe('promptLine (the TOTP code prompt)', () => {
  it('returns the line the person typed', async () => {
    const t = terminal();
    const answer = promptLine('TOTP code: ', t.io);
    t.input.write('123456\r');
    expect(await answer).toBe('123456');
    expect(t.shown()).toContain('TOTP code: ');
  });

  it('leaves with exit code 130 on Ctrl-C, as the password prompt does (not a silent exit 13)', async () => {
    const t = terminal();
    void promptLine('TOTP code: ', t.io);
    t.input.write('12\x03');
    expect(await t.exited).toBe(130);
  });

  it('answers an empty string on Ctrl-D, so the caller can say a code is required', async () => {
    const t = terminal();
    const answer = promptLine('TOTP code: ', t.io);
    t.input.write('\x04');
    expect(await answer).toBe('');
  });
});
