import { Body, Controller, Get, Injectable, Param, PipeTransform, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiParam,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { DOMAINS } from '../../common/domain';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import {
  DomainSchemaDto,
  DomainSchemaSummaryDto,
  PUT_SCHEMA_REQUEST_OPENAPI_SCHEMA,
  SchemaVersionDto,
} from './dto/record-shape.dto';
import { RecordSchemaService, requirePutSchemaRequest } from './record-schema.service';
import type { PutSchemaRequest } from './schema-request.policy';

/** Checks a PUT body; a 400 whose details give each failure's JSON pointer (`/upcast/1/from`). */
@Injectable()
export class PutSchemaBodyPipe implements PipeTransform<unknown, PutSchemaRequest> {
  transform(value: unknown): PutSchemaRequest {
    return requirePutSchemaRequest(value);
  }
}

@ApiTags('schemas')
@RequireScopes('admin')
@Controller('api/v1/schemas')
export class RecordSchemaController {
  constructor(private readonly schemas: RecordSchemaService) {}

  /** Every domain with the current version of its schema (null: not validated). */
  @ApiOperation({ operationId: 'listSchemas' })
  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<DomainSchemaSummaryDto[]> {
    return (await this.schemas.list(principal.tenantId)).map((summary) => DomainSchemaSummaryDto.from(summary));
  }

  /** The domain's current schema version and every earlier one. */
  @ApiOperation({ operationId: 'getSchema' })
  @Get(':domain')
  @ApiParam({ name: 'domain', enum: DOMAINS })
  @ApiBadRequestResponse({ description: 'Unknown domain', type: ErrorBodyDto })
  @ApiNotFoundResponse({ description: 'The tenant has no schema for this domain', type: ErrorBodyDto })
  async get(@CurrentPrincipal() principal: Principal, @Param('domain') domain: string): Promise<DomainSchemaDto> {
    return DomainSchemaDto.from(await this.schemas.history(principal.tenantId, domain));
  }

  /**
   * Adds the next schema version of a domain with the declarative steps from the previous one (rename,
   * set_default, drop, map_values). Sending the current version again unchanged changes nothing.
   */
  @ApiOperation({ operationId: 'putSchema' })
  @Put(':domain')
  @ApiParam({ name: 'domain', enum: DOMAINS })
  @ApiBody({ schema: PUT_SCHEMA_REQUEST_OPENAPI_SCHEMA })
  @ApiBadRequestResponse({
    description: 'Unknown domain, a schema that does not compile or a bad step; details give JSON pointers',
    type: ErrorBodyDto,
  })
  @ApiConflictResponse({ description: 'version is not the current version + 1', type: ErrorBodyDto })
  async put(
    @CurrentPrincipal() principal: Principal,
    @Param('domain') domain: string,
    @Body(PutSchemaBodyPipe) body: PutSchemaRequest,
  ): Promise<SchemaVersionDto> {
    return SchemaVersionDto.from(await this.schemas.putSchema(principal.tenantId, domain, body, principal.userId));
  }
}
