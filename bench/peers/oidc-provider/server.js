// SPDX-License-Identifier: MIT
// The peer of `make bench`: node oidc-provider with one confidential client
// (client_credentials, client_secret_basic), client credentials and
// introspection enabled, its default in-memory adapter. Serves until SIGTERM.
// Not a production configuration: no persistence, development signing keys.
//
// usage: node server.js PORT CLIENT_ID CLIENT_SECRET
import Provider from 'oidc-provider';

const [port, clientId, clientSecret] = process.argv.slice(2);
if (!port || !clientId || !clientSecret) {
  console.error('usage: node server.js PORT CLIENT_ID CLIENT_SECRET');
  process.exit(2);
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: '*:**',
  }],
  scopes: ['*:**'],
  ttl: { ClientCredentials: 3600 }, // socialgate's default lifetime
  features: {
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // A client may introspect the tokens issued to it, as in socialgate.
      allowedPolicy: (ctx, client, token) => token.clientId === client.clientId,
    },
    devInteractions: { enabled: false },
  },
});

const server = provider.listen(Number(port), '127.0.0.1', () => {
  console.error(`oidc-provider listening on 127.0.0.1:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
