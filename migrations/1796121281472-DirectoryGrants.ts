import { MigrationInterface, QueryRunner } from 'typeorm';

export class DirectoryGrants1796121281472 implements MigrationInterface {
  name = 'DirectoryGrants1796121281472';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "directory_user" ADD "granted_seq" bigint NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "directory_membership" ADD "granted_seq" bigint NOT NULL DEFAULT '0'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "directory_membership" DROP COLUMN "granted_seq"`);
    await queryRunner.query(`ALTER TABLE "directory_user" DROP COLUMN "granted_seq"`);
  }
}
