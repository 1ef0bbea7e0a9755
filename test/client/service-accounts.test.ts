import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import {
  fromServiceAccount, HttpTransport, login, OAuthError, pollDeviceToken, requestDeviceAuthorization, serviceAccountRefreshGrant,
  serviceAccountTokenFileFor, writeServiceAccountTokenFile,
} from '../../src/client/index.ts';

/**
 * The SDK's service-account support (issue 16): an administrator creates and grants, the device
 * flow yields the first token, and `fromServiceAccount` rotates the token and persists the new
 * one in the Go SDK's file format before using it.
 */
let t: TestServer;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-sdk-sa-'));
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('fromServiceAccount (issue 16)', () => {
  it('activates through the device flow, then rewrites the token file on every rotation before the token is used', async () => {
    const admin = await login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD });
    const sa = await admin.serviceAccounts.create({ name: 'sdk-robot', role: 'System Administrator', softwareVersion: '1.2.3' });
    expect(sa).toMatchObject({ name: 'sdk-robot', status: 'CREATED', softwareVersion: '1.2.3', role: { name: 'System Administrator' } });
    const clientId = sa.id.split(':').pop()!;

    const http = new HttpTransport({ url: t.url });
    const codes = await requestDeviceAuthorization(http, 'System', clientId);
    let polls = 0;
    const granted = pollDeviceToken(http, 'System', {
      clientId, deviceCode: codes.device_code, interval: codes.interval, expiresIn: codes.expires_in,
      // Instead of waiting the interval, the administrator grants during the first wait.
      sleep: async () => {
        polls++;
        if (polls === 1) expect((await admin.serviceAccounts.grant(codes.user_code)).status).toBe('GRANTED');
      },
    });
    const first = await granted;
    expect(polls).toBe(1);
    const file = path.join(dir, 'sdk-robot.json');
    await writeServiceAccountTokenFile(file, serviceAccountTokenFileFor(first.refresh_token, 'test'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    let nowMs = Date.now();
    const od = await fromServiceAccount({ url: t.url, org: 'System', file, now: () => nowMs });
    const afterFirst = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(afterFirst).toMatchObject({ token_type: 'Service Account', updated_by: 'opendirector-sdk', updated_on: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(afterFirst.refresh_token).not.toBe(first.refresh_token);
    expect((await od.sessions.current()).user.name).toBe('sdk-robot');

    // Past the renewal point: the next request rotates again, and the file follows.
    nowMs += 40 * 24 * 3600 * 1000;
    expect((await od.sessions.current()).user.name).toBe('sdk-robot');
    const afterSecond = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(afterSecond.refresh_token).not.toBe(afterFirst.refresh_token);
    expect(fs.readdirSync(dir)).toEqual(['sdk-robot.json']);

    // The token the file held before is rotated out: presenting it is a replay.
    const replay = await serviceAccountRefreshGrant(http, 'System', afterFirst.refresh_token).then(() => null, (e: unknown) => e);
    expect(replay).toBeInstanceOf(OAuthError);
    expect((replay as OAuthError).error).toBe('invalid_grant');
    expect((await admin.serviceAccounts.get(clientId)).status).toBe('CREATED');
  });
});
