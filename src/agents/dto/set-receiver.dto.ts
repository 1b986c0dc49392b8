import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Length, MaxLength } from 'class-validator';
import { ALL_SET_EVENT_TYPES, SET_EVENT_TYPES } from '../../outbox/security-events';
import type { SetReceiver } from '../../signals/set-receivers.repository';

export class SetReceiverRegistrationDto {
  @ApiProperty({ example: 'Brokerage risk engine', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name: string;

  @ApiProperty({
    example: 'https://brokerage.example/ssf/events',
    description: 'RFC 8935 push endpoint: https (http only on loopback outside production)',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  endpointUrl: string;

  @ApiProperty({ example: 'https://brokerage.example', description: 'The `aud` of its SETs', maxLength: 512 })
  @IsString()
  @Length(1, 512)
  audience: string;

  @ApiProperty({
    example: [SET_EVENT_TYPES.SESSION_REVOKED, SET_EVENT_TYPES.ACCOUNT_DISABLED],
    description: 'CAEP/RISC event types it wants',
    enum: ALL_SET_EVENT_TYPES,
    isArray: true,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ALL_SET_EVENT_TYPES.length)
  @IsIn(ALL_SET_EVENT_TYPES, { each: true })
  eventTypes: string[];
}

export class SetReceiverDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Brokerage risk engine' }) name: string;
  @ApiProperty({ example: 'https://brokerage.example/ssf/events' }) endpointUrl: string;
  @ApiProperty({ example: 'https://brokerage.example' }) audience: string;
  @ApiProperty({ enum: ALL_SET_EVENT_TYPES, isArray: true }) eventTypes: string[];
  @ApiProperty() active: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class SetReceiverListDto {
  @ApiProperty({ type: [SetReceiverDto] }) receivers: SetReceiverDto[];
}

export function toSetReceiverDto(receiver: SetReceiver): SetReceiverDto {
  return {
    id: receiver.id,
    name: receiver.name,
    endpointUrl: receiver.endpointUrl,
    audience: receiver.audience,
    eventTypes: receiver.eventTypes,
    active: receiver.active,
    createdAt: receiver.createdAt.toISOString(),
  };
}
