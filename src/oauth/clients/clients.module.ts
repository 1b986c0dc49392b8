import { Module } from '@nestjs/common';
import { ClientsRepository } from './clients.repository';
import { ClientsService } from './clients.service';
import { CorsPolicy } from './cors-policy';

@Module({
  providers: [ClientsRepository, ClientsService, CorsPolicy],
  exports: [ClientsService, CorsPolicy],
})
export class ClientsModule {}
