import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import type { HealthDto } from './dto/health.dto';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  live(): HealthDto {
    return { status: 'ok' };
  }

  async ready(): Promise<HealthDto> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('ping timed out')), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.db.query('SELECT 1'), timeout]);
      return { status: 'ok', database: 'up' };
    } catch {
      throw new AppException(ErrorCode.DatabaseUnavailable, 'Database unreachable', [], { 'retry-after': '5' });
    } finally {
      clearTimeout(timer);
    }
  }
}
