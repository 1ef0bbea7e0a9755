import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import {
  confirmTotpEnrolment, removeOwnTotp, resetUserTotp, startTotpEnrolment, totpStatus, type MfaDeps,
} from '../../identity/mfa-service.ts';
import { OTP_HEADER } from '../http/credentials.ts';
import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';
import { actingOf } from '../http/org-scope.ts';
import { validateBody } from '../http/validate-body.ts';
import { pathUser } from './users-routes.ts';

/**
 * TOTP second factor (issue 2). Not VCD paths: our documented extension under /cloudapi. All of
 * them refuse token-derived sessions (automation must never change a second factor, spec §8);
 * status, start and confirm also serve enrolment-only sessions (org requires MFA, user has none).
 */
const P = '/cloudapi/1.0.0/mfa/totp';

function deps(c: AuthedContext): MfaDeps {
  return { db: c.services.db, clock: c.services.clock, totpMaxFailures: c.services.config.totpMaxFailures, lockoutMs: c.services.config.lockoutMinutes * 60_000 };
}

const codeBody = z.object({ code: z.string().max(16) });

/** The code from the JSON body `{code}`, or else the X-OpenDirector-OTP header login uses. */
function codeOf(c: AuthedContext): string {
  const header = c.req.headers[OTP_HEADER];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if ((c.body === undefined || c.body === null) && fromHeader) return fromHeader;
  return validateBody(codeBody, c.body).code;
}

export const mfaRoutes = defineRoutes([
  {
    id: 'mfa.totp.status', method: 'GET', path: P, family: 'cloudapi', auth: 'session', allowEnrolmentOnly: true, apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      return { body: await totpStatus(c.services.db, actingOf(c)) };
    },
  },
  {
    id: 'mfa.totp.start', method: 'POST', path: P, family: 'cloudapi', auth: 'session', allowEnrolmentOnly: true, apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      return { body: await startTotpEnrolment(deps(c), actingOf(c)), headers: { 'cache-control': 'no-store' } };
    },
  },
  {
    // After confirming, an enrolment-only session stays enrolment-only: log in again with a code.
    id: 'mfa.totp.confirm', method: 'POST', path: `${P}/confirm`, family: 'cloudapi', auth: 'session', allowEnrolmentOnly: true, apiTokenSession: 'deny', bodySchema: codeBody,
    handler: async (ctx) => {
      const c = authed(ctx);
      await confirmTotpEnrolment(deps(c), actingOf(c), codeOf(c));
      return { body: { enrolled: true } };
    },
  },
  {
    id: 'mfa.totp.remove', method: 'DELETE', path: P, family: 'cloudapi', auth: 'session', apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      await removeOwnTotp(deps(c), actingOf(c), codeOf(c));
      return { status: 204 };
    },
  },
  {
    // Administrator reset (lost device): `Multi-Factor Authentication: Manage` or `Group / User: Manage`.
    id: 'users.resetMfa', method: 'DELETE', path: '/cloudapi/1.0.0/users/:id/mfa', family: 'cloudapi', auth: 'session', apiTokenSession: 'deny',
    handler: async (ctx) => {
      const c = authed(ctx);
      if (!c.principal.rights.has(RIGHTS.mfaManage) && !c.principal.rights.has(RIGHTS.userManage)) {
        throw new AppError('ACCESS_FORBIDDEN', {
          message: `Either you need some or all of the following rights [${RIGHTS.mfaManage}] to perform operations [users.resetMfa] or the target entity is invalid.`,
        });
      }
      await resetUserTotp(deps(c), actingOf(c), await pathUser(c));
      return { status: 204 };
    },
  },
]);
