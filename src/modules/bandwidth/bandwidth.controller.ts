import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { RequireScopes } from '../../common/auth/auth.decorators';
import { CompressResponse } from '../../common/http/compress-response.decorator';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { RecordFieldsPipe } from '../../common/http/record-fields.pipe';
import { BandwidthService } from './bandwidth.service';
import {
  BatchesRequestDto,
  BatchesResponseDto,
  CompressRequestDto,
  CompressResponseDto,
  DeltaRequestDto,
  DeltaResponseDto,
  PrioritizeRequestDto,
  PrioritizeResponseDto,
} from './dto/bandwidth.dto';

@ApiTags('bandwidth')
@RequireScopes('sync')
@ApiBadRequestResponse({ type: ErrorBodyDto, description: 'Invalid body' })
@ApiPayloadTooLargeResponse({ type: ErrorBodyDto, description: 'Body above BODY_LIMIT_BYTES after decompression' })
@ApiUnsupportedMediaTypeResponse({ type: ErrorBodyDto, description: 'Unsupported Content-Encoding' })
@Controller('api/v1/bandwidth')
export class BandwidthController {
  constructor(private readonly bandwidth: BandwidthService) {}

  /** Gzips a JSON value (base64) when the level and the adaptive rule say it is worth it. */
  @ApiOperation({ operationId: 'compressPayload' })
  @Post('compress')
  @CompressResponse()
  @HttpCode(200)
  @ApiOkResponse({ type: CompressResponseDto })
  compress(@Body() dto: CompressRequestDto): CompressResponseDto {
    return this.bandwidth.compress(dto);
  }

  /** Changed fields of the client copy against the server copy, and the RFC 6902 patch between them. */
  @ApiOperation({ operationId: 'computeDelta' })
  @Post('delta')
  @CompressResponse()
  @HttpCode(200)
  @ApiOkResponse({ type: DeltaResponseDto })
  delta(@Body(RecordFieldsPipe('server_version', 'client_version')) dto: DeltaRequestDto): DeltaResponseDto {
    return this.bandwidth.delta(dto);
  }

  /** Splits items into batches sized for the client's network. */
  @ApiOperation({ operationId: 'planBatches' })
  @Post('batches')
  @CompressResponse()
  @HttpCode(200)
  @ApiOkResponse({ type: BatchesResponseDto })
  batches(@Body() dto: BatchesRequestDto): BatchesResponseDto {
    return this.bandwidth.batches(dto);
  }

  /** Orders items high > medium > low, stable, missing or unknown priority as medium. */
  @ApiOperation({ operationId: 'prioritizeItems' })
  @Post('prioritize')
  @CompressResponse()
  @HttpCode(200)
  @ApiOkResponse({ type: PrioritizeResponseDto })
  prioritize(@Body() dto: PrioritizeRequestDto): PrioritizeResponseDto {
    return this.bandwidth.prioritize(dto);
  }
}
