import 'reflect-metadata';
import { Transform } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString } from 'class-validator';
import { createValidationPipe, linearTransformer } from './validation';

class SampleDto {
  @IsString()
  name!: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value))
  @IsInt()
  limit?: number = 10;

  @IsObject()
  record!: Record<string, unknown>;
}

describe('linearTransformer', () => {
  it('builds the DTO, runs its transforms and hands free-form values over as parsed', () => {
    const record = { a: { b: [1, 2] } };
    const dto = linearTransformer.plainToInstance(SampleDto, { name: 'x', limit: '5', record }) as SampleDto;
    expect(dto).toBeInstanceOf(SampleDto);
    expect(dto.limit).toBe(5);
    expect(dto.record).toBe(record);
    expect((linearTransformer.plainToInstance(SampleDto, { name: 'y', record }) as SampleDto).limit).toBe(10);
  });

  it('takes a record of 40k keys in linear time (class-transformer alone, quadratic: 1.7 s)', async () => {
    const record: Record<string, number> = {};
    for (let i = 0; i < 40_000; i++) record[`k${i}`] = i;
    const started = Date.now();
    const dto = (await createValidationPipe().transform(
      { name: 'x', record },
      { type: 'body', metatype: SampleDto },
    )) as SampleDto;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(Object.keys(dto.record)).toHaveLength(40_000);
  });

  it('still rejects unknown properties', async () => {
    await expect(
      createValidationPipe().transform({ name: 'x', record: {}, extra: 1 }, { type: 'body', metatype: SampleDto }),
    ).rejects.toMatchObject({ details: [{ field: 'extra', message: expect.any(String) }] });
  });
});
