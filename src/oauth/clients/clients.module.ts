import { Module } from '@nestjs/common';
import { ClientsRepository } from './clients.repository';
import { ClientsService } from './clients.service';
import { DemoClientsSeeder } from './demo-clients';

@Module({
  providers: [ClientsRepository, ClientsService, DemoClientsSeeder],
  exports: [ClientsService],
})
export class ClientsModule {}
