import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';
import { setSessionCookie } from '../common/provider-session-cookie';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { JourneyView } from './journey-completion.service';

/**
 * A journey that /oauth2/authorize started ends with the provider session cookie (SSO, issue 15): the hosted
 * login page's last step call answers with Set-Cookie (same origin as /oauth2/authorize), then the page follows
 * redirectTo. The cookie's value leaves only in that header, never in the JSON body.
 */
@Injectable()
export class ProviderSessionCookieInterceptor implements NestInterceptor {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body: unknown) => {
        if (!body || typeof body !== 'object' || !('sessionCookie' in body)) return body;
        const { sessionCookie, ...view } = body as JourneyView;
        if (sessionCookie) {
          const reply = context.switchToHttp().getResponse<FastifyReply>();
          void reply.header('Set-Cookie', setSessionCookie({ issuer: this.config.oidc.issuer }, sessionCookie));
        }
        return view;
      }),
    );
  }
}
