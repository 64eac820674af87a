import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Domain } from '../../common/domain';
import { AppException } from '../../common/errors/app-exception';
import { InvariantSettingRepository } from './invariant-setting.repository';
import { INVARIANT_INFO, INVARIANTS, InvariantName, isInvariantName } from './invariant.policy';
import { RecordShapeCatalog } from './record-shape.catalog';

export interface InvariantState {
  name: InvariantName;
  domain: Domain;
  description: string;
  enabled: boolean;
  /** default: no tenant switch (on); tenant: set with PUT. */
  source: 'default' | 'tenant';
  updated_at: Date | null;
}

/** The tenant's switches for the domain invariants. */
@Injectable()
export class InvariantService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly settings: InvariantSettingRepository,
    private readonly catalog: RecordShapeCatalog,
  ) {}

  async list(tenantId: string): Promise<InvariantState[]> {
    const rows = new Map((await this.settings.list(this.db, tenantId)).map((row) => [row.name, row]));
    return INVARIANTS.map((name) => {
      const row = rows.get(name);
      return {
        name,
        ...INVARIANT_INFO[name],
        enabled: row?.enabled ?? true,
        source: row ? 'tenant' : 'default',
        updated_at: row?.updated_at ?? null,
      };
    });
  }

  async put(tenantId: string, name: string, enabled: boolean, updatedBy: string | null): Promise<InvariantState> {
    if (!isInvariantName(name)) {
      throw AppException.validation(`unknown invariant "${name}"; one of ${INVARIANTS.join(', ')}`);
    }
    const row = await this.settings.upsert(this.db, tenantId, name, enabled, updatedBy);
    this.catalog.invalidate(tenantId);
    return { name, ...INVARIANT_INFO[name], enabled: row.enabled, source: 'tenant', updated_at: row.updated_at };
  }
}
