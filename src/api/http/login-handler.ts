import type { Principal } from '../../sessions/principal.ts';
import { AppError } from '../../errors/app-error.ts';
import type { LoginResult } from '../../identity/login-service.ts';
import type { RequestContext } from './route.ts';
import { parseBasicAuth } from './basic-auth.ts';
import { OTP_HEADER } from './credentials.ts';

/** Shared by the CloudAPI and legacy logins: Basic credentials + optional TOTP header → session. */
export async function performLogin(ctx: RequestContext, endpoint: 'tenant' | 'provider' | 'any'): Promise<{ result: LoginResult; principal: Principal }> {
  const creds = parseBasicAuth(ctx.req.headers.authorization);
  const otpHeader = ctx.req.headers[OTP_HEADER];
  const result = await ctx.services.login.login({
    ...creds, endpoint, clientIp: ctx.clientIp, otp: Array.isArray(otpHeader) ? otpHeader[0] : otpHeader,
  });
  const principal = await ctx.services.sessions.authenticateAccessToken(result.accessToken);
  // The session was made a moment ago; it can only fail to authenticate if the user or org was
  // disabled (or the session ended) in between. That is a refused login, never a 500 (issue 15:
  // the 500 told a right second-factor code from a wrong one while the account was being locked).
  if (!principal) throw new AppError('LOGIN_FAILED');
  return { result, principal };
}

/** Response headers of a login (spec §1.4, §3.1). */
export function loginHeaders(accessToken: string): Record<string, string> {
  return { 'X-VMWARE-VCLOUD-ACCESS-TOKEN': accessToken, 'X-VMWARE-VCLOUD-TOKEN-TYPE': 'Bearer', 'Cache-Control': 'no-store' };
}

/** Host name used as the site name in Session bodies. */
export function siteName(baseUrl: string): string {
  return new URL(baseUrl).hostname;
}
