import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { DOMAINS, type Domain } from '../../../common/domain';
import type { DirectoryUserRow } from '../directory.repository';
import { USER_ID, type UserPage } from '../directory.service';
import type { Explanation } from '../scope-explain.service';
import { GROUP_PATTERN } from '../scope.policy';
import { ROLES, type Role } from '../sync-rules.policy';
import type { RulesState } from '../sync-rules.service';

export class MembershipDto {
  @ApiProperty({ example: 'site:58' })
  @IsString()
  @Matches(GROUP_PATTERN, { message: 'group must look like site:58 or team:north' })
  group!: string;

  /** A supervisor also reads what the group's members read. */
  @ApiProperty({ enum: ROLES, example: 'member' })
  @IsIn(ROLES)
  role!: Role;
}

export class PutUserDto {
  /** Omitted: unchanged (null for a new user). */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  display_name?: string | null;

  /** Replaces every membership of the user. */
  @ApiProperty({ type: [MembershipDto] })
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => MembershipDto)
  memberships!: MembershipDto[];

  /** false removes every scope of the user; omitted: unchanged (true for a new user). */
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class UserDto {
  @ApiProperty({ example: '4127' })
  user_id!: string;
  display_name!: string | null;
  @ApiProperty({ type: [MembershipDto] })
  memberships!: MembershipDto[];
  active!: boolean;
  @ApiProperty({ example: '2025-09-28T10:00:00.000Z' })
  updated_at!: string;

  static from(row: DirectoryUserRow): UserDto {
    return {
      user_id: row.user_id,
      display_name: row.display_name,
      memberships: row.memberships.map((m) => ({ group: m.group, role: m.role })),
      active: row.active,
      updated_at: row.updated_at.toISOString(),
    };
  }
}

export class ListUsersQueryDto {
  /** next_cursor of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(300)
  cursor?: string;

  /** 1..200, default 50. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class UserPageDto {
  /** In user_id order. */
  items!: UserDto[];
  @ApiProperty({ nullable: true, type: 'string' })
  next_cursor!: string | null;

  static from(page: UserPage): UserPageDto {
    return { items: page.items.map((row) => UserDto.from(row)), next_cursor: page.next_cursor };
  }
}

export class GroupFieldDto {
  @ApiProperty({ example: 'bu' })
  field!: string;
  /** The group kind the field's value belongs to: `"bu": 58` with `site` is the group `site:58`. */
  @ApiProperty({ example: 'site' })
  group!: string;
  /** The lowest role of the group that reads the record. */
  @ApiProperty({ enum: ROLES, example: 'supervisor' })
  role!: Role;
}

export class OwnerGroupsDto {
  @ApiProperty({ example: 'privacy_scope' })
  field!: string;
  /** The value assumed when the field is missing. */
  @ApiProperty({ example: 'private' })
  default!: string;
  /** Value → lowest role of the owner's groups that reads; other values stay with the owner. */
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...ROLES] },
    example: { manager: 'supervisor', team: 'member' },
  })
  roles!: Record<string, Role>;
}

export class DomainRuleDto {
  /** Fields naming the users who read the record (an id or an array of ids). */
  @ApiProperty({ example: ['people'] })
  users!: string[];
  @ApiProperty({ type: [GroupFieldDto] })
  groups!: GroupFieldDto[];
  /** The user who wrote the first version keeps reading it (default true). */
  creator!: boolean;
  /** The groups of the record's owner (first user named, else the creator) read it, by a field's value. */
  @ApiProperty({ type: OwnerGroupsDto, nullable: true })
  owner_groups!: OwnerGroupsDto | null;
  /** Fields only a supervisor of one of the record's groups (or an admin) may change. */
  @ApiProperty({ example: ['people', 'bu'] })
  supervisor_only!: string[];
}

export class SyncRulesDocumentDto {
  @ApiProperty({ type: DomainRuleDto })
  journal!: DomainRuleDto;
  @ApiProperty({ type: DomainRuleDto })
  attendance!: DomainRuleDto;
  @ApiProperty({ type: DomainRuleDto })
  task!: DomainRuleDto;
  @ApiProperty({ type: DomainRuleDto })
  ticket!: DomainRuleDto;
  @ApiProperty({ type: DomainRuleDto })
  work_order!: DomainRuleDto;
}

/** A domain's rules in a PUT: the keys given replace the defaults', the others keep them. */
export class DomainRuleInputDto extends PartialType(DomainRuleDto) {}

export class SyncRulesInputDto {
  @ApiPropertyOptional({ type: DomainRuleInputDto })
  journal?: DomainRuleInputDto;
  @ApiPropertyOptional({ type: DomainRuleInputDto })
  attendance?: DomainRuleInputDto;
  @ApiPropertyOptional({ type: DomainRuleInputDto })
  task?: DomainRuleInputDto;
  @ApiPropertyOptional({ type: DomainRuleInputDto })
  ticket?: DomainRuleInputDto;
  @ApiPropertyOptional({ type: DomainRuleInputDto })
  work_order?: DomainRuleInputDto;
}

export class PutSyncRulesDto {
  /** Rules by domain; a domain left out keeps its default. Validated as a whole: errors name the domain and key. */
  @ApiProperty({
    type: SyncRulesInputDto,
    example: { task: { users: ['people'], groups: [{ field: 'bu', group: 'site', role: 'supervisor' }] } },
  })
  @IsObject()
  rules!: Record<string, unknown>;
}

export class RulesProgressDto {
  records_done!: number;
  /** null until the background application has counted the records. */
  @ApiProperty({ nullable: true, type: 'integer' })
  records_total!: number | null;
}

export class SyncRulesDto {
  /** 0: the tenant never set rules (the defaults). */
  version!: number;
  rules!: SyncRulesDocumentDto;
  /** true once every stored record's keys follow this version. */
  applied!: boolean;
  progress!: RulesProgressDto;

  static from(state: RulesState): SyncRulesDto {
    return { version: state.version, rules: state.rules, applied: state.applied, progress: state.progress };
  }
}

export class SyncRulesVersionDto {
  version!: number;
  applied!: boolean;

  static from(state: RulesState): SyncRulesVersionDto {
    return { version: state.version, applied: state.applied };
  }
}

export class ExplainQueryDto {
  @ApiProperty({ example: '4127' })
  @IsString()
  @Matches(USER_ID, { message: 'user_id must be 1..128 characters without whitespace' })
  user_id!: string;

  @ApiProperty({ enum: DOMAINS })
  @IsIn(DOMAINS)
  domain!: Domain;

  @ApiProperty({ example: '550e8400-e29b-41d4-a716-446655440000' })
  @IsUUID('all')
  mobile_id!: string;
}

export class ExplainDto {
  /** The keys the record holds under the rules in force. */
  @ApiProperty({ example: ['g:site:58:supervisor', 'u:4127'] })
  record_keys!: string[];
  /** The keys record_scope holds for it now. */
  @ApiProperty({ example: ['g:site:58:supervisor', 'u:4127'] })
  stored_keys!: string[];
  @ApiProperty({ example: ['g:site:58:member', 'u:4127'] })
  user_keys!: string[];
  can_read!: boolean;
  can_write!: boolean;
  /** The verdicts in words. */
  reasons!: string[];
  rules_version!: number;

  static from(explanation: Explanation): ExplainDto {
    return { ...explanation };
  }
}
