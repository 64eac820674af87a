import { JWT_IAT_LEEWAY_SECONDS, jwtRuleViolation } from './auth.service';

describe('jwtRuleViolation', () => {
  const now = 1_800_000_000;
  const maxTtl = 86_400;
  const tid = '42';
  const valid = { tid, sub: 'u1', scope: 'sync', iat: now, exp: now + 3600 };
  const check = (payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256' }) =>
    jwtRuleViolation(header, payload, now, maxTtl);

  it('accepts a token within the rules, with or without iat, and a small clock skew', () => {
    expect(check(valid)).toBeNull();
    expect(check({ ...valid, iat: undefined, exp: now + maxTtl })).toBeNull();
    expect(check({ ...valid, tid: 42 })).toBeNull();
    expect(check({ ...valid, iat: now + JWT_IAT_LEEWAY_SECONDS, exp: now + JWT_IAT_LEEWAY_SECONDS + 60 })).toBeNull();
  });

  it.each([
    ['no exp', { ...valid, exp: undefined }, /exp is required/],
    ['exp as a string', { ...valid, exp: String(now + 60) }, /exp is required/],
    ['exp 1e300', { ...valid, exp: 1e300 }, /exp is more than/],
    ['exp a second past the TTL after iat', { ...valid, exp: now + maxTtl + 1 }, /exp is more than/],
    ['exp past the TTL after now, without iat', { ...valid, iat: undefined, exp: now + maxTtl + 1 }, /exp is more/],
    ['iat beyond the leeway', { ...valid, iat: now + JWT_IAT_LEEWAY_SECONDS + 1 }, /future/],
    ['iat not a number', { ...valid, iat: 'yesterday' }, /iat must be a number/],
    ['sub an array', { ...valid, sub: ['u1'] }, /sub must be a string/],
    ['sub empty', { ...valid, sub: '' }, /sub must be a string/],
    ['tid an array', { ...valid, tid: ['42'] }, /tid/],
    ['tid not digits', { ...valid, tid: 'tenant-1' }, /tid/],
    ['tid a fraction', { ...valid, tid: 4.2 }, /tid/],
  ])('refuses %s', (_name, payload, reason) => {
    expect(check(payload)).toMatch(reason);
  });

  it('refuses any crit header: this server implements no JWS extension', () => {
    expect(check(valid, { alg: 'HS256', crit: ['exp'] })).toMatch(/crit/);
    expect(check(valid, { alg: 'HS256', crit: [] })).toMatch(/crit/);
  });
});
