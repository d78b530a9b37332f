import { API_PREFIX } from '../common/api.js';

/** Where registries POST their notifications (the controller's base path). */
export const EVENTS_ROUTE = `${API_PREFIX}/events`;

/** distribution's `notifications.endpoints[].url` path. */
export const DISTRIBUTION_WEBHOOK_PATH = `/${EVENTS_ROUTE}/distribution`;

/** Harbor's webhook "Endpoint URL" path. */
export const HARBOR_WEBHOOK_PATH = `/${EVENTS_ROUTE}/harbor`;

/** ACR's trigger URL path (the webhook secret goes in its `secret` query parameter). */
export const ACR_WEBHOOK_PATH = `/${EVENTS_ROUTE}/acr`;
