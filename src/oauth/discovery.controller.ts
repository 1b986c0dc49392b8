import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';
import { SUPPORTED_SCOPES } from '../clients/clients.service';
import { ACR_VALUES_SUPPORTED } from '../common/assurance';
import { PROMPT_VALUES } from './authorize-params';
import { JwksDto, OAuthErrorDto } from './dto/oauth.dto';
import { endpointUrl, OAUTH_PATHS } from './oauth-endpoints';
import { PROOF_ALGORITHMS } from './proofs/algorithms';

@ApiTags('oauth2')
@Controller()
export class DiscoveryController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
  ) {}

  @Get('.well-known/openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'OpenID Provider metadata (OpenID Connect Discovery 1.0, RFC 8414)' })
  @ApiOkResponse({
    description: 'The provider metadata',
    schema: {
      type: 'object',
      additionalProperties: true,
      example: {
        issuer: 'http://localhost:3000',
        authorization_endpoint: 'http://localhost:3000/oauth2/authorize',
        token_endpoint: 'http://localhost:3000/oauth2/token',
        jwks_uri: 'http://localhost:3000/oauth2/jwks',
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['ES256'],
        authorization_response_iss_parameter_supported: true,
      },
    },
  })
  discovery(): Record<string, unknown> {
    const url = (path: string) => endpointUrl(this.config, path);
    const clientAuth = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];
    // RFC 7523 / RFC 9449: asymmetric algorithms only, for client assertions and DPoP proofs alike.
    const proofAlgs = [...PROOF_ALGORITHMS];
    return {
      issuer: this.config.oidc.issuer,
      authorization_endpoint: url(OAUTH_PATHS.authorize),
      token_endpoint: url(OAUTH_PATHS.token),
      jwks_uri: url(OAUTH_PATHS.jwks),
      userinfo_endpoint: url(OAUTH_PATHS.userinfo),
      introspection_endpoint: url(OAUTH_PATHS.introspect),
      revocation_endpoint: url(OAUTH_PATHS.revoke),
      end_session_endpoint: url(OAUTH_PATHS.endSession),
      // OpenID Connect Back-Channel Logout 1.0 §2.1: logout tokens (always with sid) when a session ends.
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      scopes_supported: SUPPORTED_SCOPES,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: [this.config.oidc.signingAlg],
      token_endpoint_auth_methods_supported: clientAuth,
      token_endpoint_auth_signing_alg_values_supported: proofAlgs,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      introspection_endpoint_auth_signing_alg_values_supported: proofAlgs,
      revocation_endpoint_auth_methods_supported: clientAuth,
      revocation_endpoint_auth_signing_alg_values_supported: proofAlgs,
      // RFC 9449 §5.1: DPoP proofs at the token endpoint (and userinfo for bound tokens).
      dpop_signing_alg_values_supported: proofAlgs,
      code_challenge_methods_supported: ['S256'],
      // RFC 9207 §3: every authorization response (success or error) carries iss, against mix-up attacks.
      authorization_response_iss_parameter_supported: true,
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'acr',
        'amr',
        'sid',
        'at_hash',
        'azp',
        'name',
        'preferred_username',
        'email',
        'phone_number',
      ],
      // OIDC Core §3.1.2.1 and issue 15: the levels of assurance (src/common/assurance.ts) and the prompts acted on.
      acr_values_supported: ACR_VALUES_SUPPORTED,
      prompt_values_supported: PROMPT_VALUES,
      // Only id_token.acr is acted on (§5.5.1.1); other claim requests are ignored as voluntary.
      claims_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    };
  }

  @Get('oauth2/jwks')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'The public keys that verify our JWTs (RFC 7517)',
    description: 'The active key and retired keys whose tokens may still be alive.',
  })
  @ApiOkResponse({ type: JwksDto })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description: 'invalid_request: a NUL, invalid UTF-8 or a lone surrogate anywhere in the request (the HTTP edge)',
  })
  jwks(): Promise<JwksDto> {
    return this.keys.jwks() as Promise<JwksDto>;
  }
}
