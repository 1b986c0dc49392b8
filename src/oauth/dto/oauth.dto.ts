import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Documentation shapes of the OAuth endpoints (their bodies are form-encoded and parsed by the grants). */
export class TokenRequestDto {
  @ApiProperty({ enum: ['authorization_code', 'refresh_token', 'client_credentials'], example: 'authorization_code' })
  grant_type: string;
  @ApiPropertyOptional({ description: 'authorization_code: the code from the redirect' }) code?: string;
  @ApiPropertyOptional({
    description: 'authorization_code: exactly the redirect URI of the authorization request',
    example: 'http://localhost:5173/callback',
  })
  redirect_uri?: string;
  @ApiPropertyOptional({ description: 'authorization_code: the PKCE verifier (43-128 characters)' })
  code_verifier?: string;
  @ApiPropertyOptional({ description: 'refresh_token: the refresh token to rotate' }) refresh_token?: string;
  @ApiPropertyOptional({
    description: 'refresh_token, client_credentials: space-separated scopes (a subset of those granted)',
  })
  scope?: string;
  @ApiPropertyOptional({ description: 'client_secret_post or public clients', example: 'demo-spa' }) client_id?: string;
  @ApiPropertyOptional({ description: 'client_secret_post only' }) client_secret?: string;
  @ApiPropertyOptional({
    description: 'private_key_jwt (RFC 7523)',
    enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
  })
  client_assertion_type?: string;
  @ApiPropertyOptional({ description: "private_key_jwt: a JWT signed with one of the client's registered keys" })
  client_assertion?: string;
}

export class TokenResponseDto {
  @ApiProperty({
    description: 'JWT access token (RFC 9068, typ at+jwt)',
    example: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwOi8vbG9jYWxob3N0OjMwMDAifQ.c2lnbmF0dXJl',
  })
  access_token: string;
  @ApiProperty({
    enum: ['Bearer', 'DPoP'],
    example: 'Bearer',
    description: 'DPoP when the request carried a DPoP proof (RFC 9449): the tokens are bound to its key',
  })
  token_type: string;
  @ApiProperty({ example: 300 }) expires_in: number;
  @ApiProperty({ example: 'openid profile' }) scope: string;
  @ApiPropertyOptional({ description: 'Opaque, 256 bits, rotated on every use' }) refresh_token?: string;
  @ApiPropertyOptional({ description: 'OpenID Connect ID token (when scope includes openid)' }) id_token?: string;
}

export class OAuthErrorDto {
  @ApiProperty({ example: 'invalid_grant', description: 'RFC 6749 §5.2 error code' }) error: string;
  @ApiProperty({ example: 'authorization code expired' }) error_description: string;
}

export class TokenOnlyRequestDto {
  @ApiProperty({
    description: 'The token to introspect or revoke',
    example: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJDVVBJRC1BTElDRS0wMDAxIn0.c2lnbmF0dXJl',
  })
  token: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] }) token_type_hint?: string;
  @ApiPropertyOptional({ example: 'demo-service' }) client_id?: string;
  @ApiPropertyOptional() client_secret?: string;
  @ApiPropertyOptional({ enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'] })
  client_assertion_type?: string;
  @ApiPropertyOptional({ description: 'private_key_jwt (RFC 7523)' }) client_assertion?: string;
}

export class IntrospectionResponseDto {
  @ApiProperty({ example: true }) active: boolean;
  @ApiPropertyOptional({ example: 'openid profile' }) scope?: string;
  @ApiPropertyOptional({ example: 'demo-spa' }) client_id?: string;
  @ApiPropertyOptional({
    example: 'CUPID-0001',
    description: "The CUPID, a pairwise client's pseudonym of it, or the client id for client_credentials tokens",
  })
  sub?: string;
  @ApiPropertyOptional({ example: 1795547470 }) exp?: number;
  @ApiPropertyOptional({ example: 1795547170 }) iat?: number;
  @ApiPropertyOptional({
    enum: ['Bearer', 'DPoP', 'refresh_token', 'api_token'],
    description: 'api_token: a ciam_at_ API token; DPoP: an access token bound to a key (cnf.jkt)',
  })
  token_type?: string;
  @ApiPropertyOptional() iss?: string;
  @ApiPropertyOptional() aud?: string;
  @ApiPropertyOptional({
    description: "The token's session as its client knows it: the session id, or a pairwise client's pseudonym of it",
  })
  sid?: string;
  @ApiPropertyOptional() jti?: string;
  @ApiPropertyOptional({
    description: 'RFC 9449 §6.2: the JWK thumbprint a DPoP-bound token is bound to',
    example: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' },
  })
  cnf?: { jkt: string };
}

export class UserinfoResponseDto {
  @ApiProperty({ example: 'CUPID-0001', description: 'The customer id (CUPID)' }) sub: string;
  @ApiPropertyOptional({ example: 'Alice Example', description: 'scope profile' }) name?: string;
  @ApiPropertyOptional({ example: 'alice', description: 'scope profile' }) preferred_username?: string;
  @ApiPropertyOptional({ example: 'alice@example.test', description: 'scope email' }) email?: string;
  @ApiPropertyOptional({ example: '+447700900001', description: 'scope phone' }) phone_number?: string;
}

export class JwkDto {
  @ApiProperty({ example: 'EC' }) kty: string;
  @ApiProperty({
    description: 'RFC 7638 thumbprint of the key',
    example: 'V3pd8XKbYmU9w1QfM5Rk2aXcTzL0nH7sJgE4iBuOq6Y',
  })
  kid: string;
  @ApiProperty({ example: 'ES256' }) alg: string;
  @ApiProperty({ example: 'sig' }) use: string;
  @ApiPropertyOptional({ example: 'P-256' }) crv?: string;
  @ApiPropertyOptional({ example: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU' }) x?: string;
  @ApiPropertyOptional({ example: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }) y?: string;
  @ApiPropertyOptional() n?: string;
  @ApiPropertyOptional() e?: string;
}

export class JwksDto {
  @ApiProperty({ type: [JwkDto] }) keys: JwkDto[];
}

export class SignedOutDto {
  @ApiProperty({ example: 'signed_out' }) status: string;
}
