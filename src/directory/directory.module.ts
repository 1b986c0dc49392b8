import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { FileUserDirectory } from './file.directory';
import { LdapUserDirectory } from './ldap.directory';
import { UserDirectory } from './user-directory.port';

/** USER_DIRECTORY picks the adapter: `file` (development default) or `ldap`. */
@Module({
  providers: [
    {
      provide: UserDirectory,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): UserDirectory =>
        config.directory.adapter === 'ldap'
          ? new LdapUserDirectory(config.directory.ldap)
          : new FileUserDirectory(config.directory.file),
    },
  ],
  exports: [UserDirectory],
})
export class DirectoryModule {}
