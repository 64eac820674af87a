import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiParam, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { DirectoryService } from './directory.service';
import { ListUsersQueryDto, PutUserDto, UserDto, UserPageDto } from './dto/scope.dto';

@ApiTags('sync scopes')
@RequireScopes('admin')
@Controller('api/v1/users')
export class DirectoryController {
  constructor(private readonly directory: DirectoryService) {}

  /** The tenant's directory in user_id order, with keyset pagination. */
  @ApiOperation({ operationId: 'listUsers' })
  @Get()
  @ApiBadRequestResponse({ description: 'Invalid cursor or limit', type: ErrorBodyDto })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListUsersQueryDto): Promise<UserPageDto> {
    return UserPageDto.from(await this.directory.listUsers(principal.tenantId, query));
  }

  /** One user of the directory. */
  @ApiOperation({ operationId: 'getUser' })
  @Get(':user_id')
  @ApiParam({ name: 'user_id', example: '4127' })
  @ApiNotFoundResponse({ description: 'The user is not in the directory', type: ErrorBodyDto })
  async get(@CurrentPrincipal() principal: Principal, @Param('user_id') userId: string): Promise<UserDto> {
    return UserDto.from(await this.directory.getUser(principal.tenantId, userId));
  }

  /**
   * Creates or changes a user and replaces its memberships. Effective on the user's next request; records it can
   * no longer read reach its devices as removals.
   */
  @ApiOperation({ operationId: 'putUser' })
  @Put(':user_id')
  @ApiParam({ name: 'user_id', example: '4127' })
  @ApiBadRequestResponse({ description: 'Invalid user id, group or role; too many memberships', type: ErrorBodyDto })
  async put(
    @CurrentPrincipal() principal: Principal,
    @Param('user_id') userId: string,
    @Body() dto: PutUserDto,
  ): Promise<UserDto> {
    return UserDto.from(await this.directory.putUser(principal.tenantId, userId, dto));
  }
}
