// The pages talk to the service that serves them (same origin): relative URLs, JSON only.
import { createCiamClient } from '../../client';

export const api = createCiamClient({ baseUrl: window.location.origin });
