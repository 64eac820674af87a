import type { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppException } from '../../common/errors/app-exception';
import { ConflictPolicyService } from './conflict-policy.service';

/** The policy service reads only the tenant and the user of a principal. */
const principal = { tenantId: '7', userId: 'admin-user' } as Principal;

function setup() {
  const policies = { list: jest.fn(async () => []), upsert: jest.fn(), delete: jest.fn() };
  const service = new ConflictPolicyService({} as DataSource, policies);
  return { service, policies };
}

describe(ConflictPolicyService.name, () => {
  it('overrides the defaults with the tenant policy rows', async () => {
    const { service, policies } = setup();
    policies.list.mockResolvedValue([
      {
        domain: 'ticket',
        resolution_policy: 'manual',
        auto_resolve: false,
        notify_on_conflict: true,
        protected_fields: null,
      },
    ] as never);
    const effective = await service.policiesFor({} as DataSource, '7');
    expect(effective.get('ticket')).toMatchObject({ resolution_policy: 'manual', source: 'tenant' });
    expect(effective.get('journal')).toMatchObject({ resolution_policy: 'client_wins', source: 'default' });
    expect(effective.size).toBe(5);
    expect(policies.list).toHaveBeenCalledTimes(1);
  });

  it('rejects manual with auto_resolve and an unknown domain before touching the database', async () => {
    const { service, policies } = setup();
    await expect(
      service.put(principal, 'task', { resolution_policy: 'manual', auto_resolve: true }),
    ).rejects.toBeInstanceOf(AppException);
    await expect(service.put(principal, 'invoice', { resolution_policy: 'client_wins' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(service.delete('7', 'invoice')).rejects.toMatchObject({ status: 400 });
    expect(policies.upsert).not.toHaveBeenCalled();
    expect(policies.delete).not.toHaveBeenCalled();
  });

  it('fills auto_resolve from the policy when it is omitted', async () => {
    const { service, policies } = setup();
    policies.upsert.mockImplementation(async (_db, _tenant, domain: string, settings: object) => ({
      domain,
      ...settings,
    }));
    await service.put(principal, 'task', { resolution_policy: 'manual' });
    await service.put(principal, 'journal', { resolution_policy: 'server_wins' });
    expect(policies.upsert.mock.calls.map((c: unknown[]) => c[3])).toEqual([
      { resolution_policy: 'manual', auto_resolve: false, notify_on_conflict: false, protected_fields: null },
      { resolution_policy: 'server_wins', auto_resolve: true, notify_on_conflict: false, protected_fields: null },
    ]);
  });

  it('answers 404 when the tenant has no override to delete', async () => {
    const { service, policies } = setup();
    policies.delete.mockResolvedValue(false);
    await expect(service.delete('7', 'task')).rejects.toMatchObject({ status: 404 });
  });
});
