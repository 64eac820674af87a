import type { Scope } from '../domain';

/** Who is calling: taken only from the credential (and the X-Device-Id header for devices). */
export interface Principal {
  tenantId: string;
  userId: string | null;
  scopes: Scope[];
  deviceId: string | null;
  /** Identifies the credential for rate limiting; never the secret itself. */
  credentialId: string;
}

export function isAdmin(principal: Principal): boolean {
  return principal.scopes.includes('admin');
}
