import { Module } from '@nestjs/common';
import { Meters } from '../common/meters';
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
      inject: [APP_CONFIG, { token: Meters, optional: true }],
      useFactory: (config: AppConfig, meters?: Meters): UserDirectory =>
        config.directory.adapter === 'ldap'
          ? new LdapUserDirectory(config.directory.ldap, meters)
          : new FileUserDirectory(config.directory.file),
    },
  ],
  exports: [UserDirectory],
})
export class DirectoryModule {}
