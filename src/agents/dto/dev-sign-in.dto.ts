import { IsString, Matches } from 'class-validator';

/** The agent a development token is minted for: a workforce-like user name, never free text. */
export class DevSignInDto {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/, {
    message: 'agent must be 2 to 64 letters, digits or ._@- (starting with a letter or digit)',
  })
  agent: string;
}

export interface DevSignInResponse {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  agent: string;
}
