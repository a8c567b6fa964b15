/**
 * Connections per webhook endpoint, so also the requests the delivery worker
 * keeps in flight per endpoint. Its own module so that config validation can
 * read it without loading the HTTP client (undici) at every start of the CLI.
 */
export const CONNECTIONS_PER_ENDPOINT = 16;
