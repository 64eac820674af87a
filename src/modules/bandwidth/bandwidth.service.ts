import { Injectable } from '@nestjs/common';
import type { NetworkQuality } from '../../common/domain';
import { AppConfig } from '../../config/app-config';
import {
  adaptiveBatchSizing,
  batchSize,
  calculateDelta,
  compressPayload,
  jsonBytes,
  jsonPatch,
  NetworkConditions,
  PatchOperation,
  prioritizeItems,
} from './bandwidth.policy';
import type {
  BatchesRequestDto,
  BatchesResponseDto,
  CompressRequestDto,
  CompressResponseDto,
  DeltaRequestDto,
  DeltaResponseDto,
  PrioritizeRequestDto,
  PrioritizeResponseDto,
} from './dto/bandwidth.dto';

export interface DeltaChoice {
  /** The RFC 6902 patch when it is smaller than the full record, else null (send the record). */
  patch: PatchOperation[] | null;
  fullBytes: number;
  patchBytes: number;
  /** Bytes not sent thanks to the patch (0 when the full record goes); feeds SyncMeter.bytesSavedDelta. */
  savedBytes: number;
}

@Injectable()
export class BandwidthService {
  constructor(private readonly config: AppConfig) {}

  compress(dto: CompressRequestDto): CompressResponseDto {
    return compressPayload(dto.data, dto.compression_level ?? 'adaptive', {
      thresholdBytes: this.config.get('COMPRESSION_THRESHOLD_BYTES'),
      minRatio: this.config.get('MIN_COMPRESSION_RATIO'),
    });
  }

  delta(dto: DeltaRequestDto): DeltaResponseDto {
    return calculateDelta(dto.server_version, dto.client_version);
  }

  batches(dto: BatchesRequestDto): BatchesResponseDto {
    return adaptiveBatchSizing(dto.items, dto.network_quality, this.config.get('BATCH_SIZES'), {
      rtt_ms: dto.rtt_ms,
      throughput_kbps: dto.throughput_kbps,
    });
  }

  prioritize(dto: PrioritizeRequestDto): PrioritizeResponseDto {
    return { items: prioritizeItems(dto.items, dto.priority_field ?? 'priority') };
  }

  /** Items per batch for a network quality (unknown or missing: the fair size), optionally from measurements. */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- NetworkQuality names the expected values; clients may send anything
  batchSizeFor(quality: NetworkQuality | string | undefined, conditions: NetworkConditions = {}): number {
    return batchSize(quality, this.config.get('BATCH_SIZES'), conditions);
  }

  /** Patch or full record, whichever is smaller on the wire (compact JSON), with the bytes saved. */
  deltaOrFull(fromData: unknown, toData: unknown): DeltaChoice {
    const patch = jsonPatch(fromData, toData);
    const fullBytes = jsonBytes(toData);
    const patchBytes = jsonBytes(patch);
    return patchBytes < fullBytes
      ? { patch, fullBytes, patchBytes, savedBytes: fullBytes - patchBytes }
      : { patch: null, fullBytes, patchBytes, savedBytes: 0 };
  }
}
