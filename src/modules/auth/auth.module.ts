import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard, RequestAuthenticator } from './auth.guard';
import { AuthService } from './auth.service';
import { RateLimits } from './rate-limiter';

@Global()
@Module({
  providers: [AuthService, RateLimits, RequestAuthenticator, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, RequestAuthenticator],
})
export class AuthModule {}
