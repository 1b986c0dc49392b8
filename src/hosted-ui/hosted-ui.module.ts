import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';
import { HostedPagesController } from './hosted-pages.controller';

/** The browser pages the service hosts: the login page and the agent console (both call the REST API). */
@Module({ controllers: [HostedPagesController, ConsoleController] })
export class HostedUiModule {}
