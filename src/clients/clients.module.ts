import { Module } from '@nestjs/common';
import { ClientCache } from './client-cache';
import { ClientsRepository } from './clients.repository';
import { ClientsService } from './clients.service';

@Module({
  providers: [ClientsRepository, ClientsService, ClientCache],
  exports: [ClientsService],
})
export class ClientsModule {}
