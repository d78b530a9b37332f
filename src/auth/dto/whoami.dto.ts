import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '../api-token.entity.js';

export class WhoAmIDto {
  @ApiProperty({ format: 'uuid', example: '4f0c5b8e-6d0e-4b8b-9b7a-2f1d5f3a9c11' })
  id!: string;

  @ApiProperty({ example: 'dashboards' })
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'viewer' })
  role!: Role;
}
