import { Global, Module } from '@nestjs/common';
import { ApiKeyRepository } from './api-key.repository';
import { TenantRepository } from './tenant.repository';
import { TenantController } from './tenant.controller';
import { TenantService } from './tenant.service';

@Global()
@Module({
  controllers: [TenantController],
  providers: [TenantRepository, ApiKeyRepository, TenantService],
  exports: [TenantService],
})
export class TenantModule {}
