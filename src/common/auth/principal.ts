import { AppException, ErrorCode } from '../errors/app-exception';
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

/**
 * A sync caller acts as its user: its scope and its devices are that user's. An admin credential without a user
 * keeps the tenant-wide view.
 */
export function requireSyncUser(principal: Principal): void {
  if (principal.userId === null && !isAdmin(principal)) {
    throw new AppException(ErrorCode.UserRequired, 'this sync credential is bound to no user: push and pull need one');
  }
}
