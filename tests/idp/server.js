// SPDX-License-Identifier: MIT
// The OpenID Provider of the sign-in runtime's black-box tests: node
// oidc-provider over HTTPS with development login and consent pages, PKCE
// required, and signing keys generated at start-up. It also serves a plain
// OAuth 2.0 profile endpoint (/profile) for providers that ask no `openid`
// scope, since oidc-provider's userinfo endpoint (/me) wants that scope.
// Not a production configuration: in-memory state, throwaway keys.
//
// usage: node server.js CONFIG.json
//
// CONFIG.json:
//   host      listen address (default 127.0.0.1)
//   port      TCP port; 0 picks a free one (the ready line tells which)
//   issuer    default https://HOST:PORT; "{port}" is replaced by the port
//   tls       {"cert": PEM path, "key": PEM path}
//   keys      signing algorithms to make one key each for (default
//             ["RS256"]): RS256..RS512, PS256..PS512, ES256..ES512, EdDSA
//   clients   oidc-provider client metadata; grant_types, response_types
//             and token_endpoint_auth_method default to authorization_code,
//             code and client_secret_basic
//   accounts  {login: {claim: value}} overriding the made-up claims
//
// stdout, one JSON document a line:
//   READY {"issuer", "port", "kids"}   listening
//   ROTATED {"kids"}                   after SIGHUP: every signing key was
//                                      replaced by a new one (new kid); the
//                                      sessions, codes and tokens remain
// SIGTERM or SIGINT: close and exit 0.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const KEY_TYPES = {
  RS256: ['rsa', { modulusLength: 2048 }],
  RS384: ['rsa', { modulusLength: 2048 }],
  RS512: ['rsa', { modulusLength: 2048 }],
  PS256: ['rsa', { modulusLength: 2048 }],
  PS384: ['rsa', { modulusLength: 2048 }],
  PS512: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
  ES384: ['ec', { namedCurve: 'P-384' }],
  ES512: ['ec', { namedCurve: 'P-521' }],
  EdDSA: ['ed25519', {}],
};

// Made-up people: known logins have fixed claims, any other login gets
// claims derived from its name, so every login signs in.
const PEOPLE = {
  alice: {
    email: 'alice@example.com', email_verified: true,
    given_name: 'Alice', family_name: 'Liddell', name: 'Alice Liddell',
  },
  bob: {
    email: 'bob@example.com', email_verified: false,
    given_name: 'Bob', family_name: 'Builder', name: 'Bob Builder',
  },
};

function fail(msg) {
  console.error(`idp: ${msg}`);
  process.exit(2);
}

function readConfig() {
  const path = process.argv[2];
  if (!path) fail('usage: node server.js CONFIG.json');
  const cfg = JSON.parse(fs.readFileSync(path, 'utf8'));
  if (!cfg.tls || !cfg.tls.cert || !cfg.tls.key) fail('config: tls.cert and tls.key are required');
  cfg.host ??= '127.0.0.1';
  cfg.port ??= 0;
  cfg.keys ??= ['RS256'];
  cfg.clients ??= [];
  cfg.accounts ??= {};
  for (const alg of cfg.keys) if (!KEY_TYPES[alg]) fail(`config: unknown key algorithm ${alg}`);
  return cfg;
}

// One private JWK per algorithm; the generation number makes every
// rotation's kids new.
function makeKeys(algs, generation) {
  return algs.map((alg) => {
    const [type, opts] = KEY_TYPES[alg];
    const { privateKey } = crypto.generateKeyPairSync(type, opts);
    const jwk = privateKey.export({ format: 'jwk' });
    const kid = `${alg.toLowerCase()}-${generation}-${crypto.randomBytes(4).toString('hex')}`;
    return { ...jwk, alg, use: 'sig', kid };
  });
}

function claimsFor(cfg, login) {
  const base = PEOPLE[login] ?? {
    email: `${login}@example.com`, email_verified: true,
    given_name: login.charAt(0).toUpperCase() + login.slice(1), family_name: 'Example',
  };
  const claims = { sub: login, preferred_username: login, ...base, ...(cfg.accounts[login] ?? {}) };
  if (!claims.name && (claims.given_name || claims.family_name)) {
    claims.name = [claims.given_name, claims.family_name].filter(Boolean).join(' ');
  }
  return claims;
}

function makeProvider(cfg, issuer, keys, cookieKeys) {
  const algs = [...new Set(cfg.keys)];
  const clients = cfg.clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  }));
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    cookies: { keys: cookieKeys },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    },
    // The id_token carries the claims of the scopes asked, as many IdPs do,
    // so a provider without profile_url still gets e-mail and name.
    conformIdTokenClaims: false,
    enabledJWA: { idTokenSigningAlgValues: algs },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      userinfo: { enabled: true },
    },
    async findAccount(_ctx, id) {
      return { accountId: id, claims: async () => claimsFor(cfg, id) };
    },
  });
  return provider;
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers,
  });
  res.end(JSON.stringify(body));
}

// The plain OAuth 2.0 profile endpoint: any unexpired access token of this
// provider, openid scope or not, shows its account as {id, login, ...}.
async function profile(state, req, res) {
  const m = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '');
  const challenge = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };
  if (!m) return sendJson(res, 401, { error: 'invalid_token' }, challenge);
  const token = await state.provider.AccessToken.find(m[1]);
  if (!token || token.isExpired) return sendJson(res, 401, { error: 'invalid_token' }, challenge);
  const { sub, ...rest } = claimsFor(state.cfg, token.accountId);
  return sendJson(res, 200, { id: sub, login: sub, ...rest });
}

function main() {
  const cfg = readConfig();
  const cookieKeys = [crypto.randomBytes(32).toString('hex')];
  const state = { cfg, provider: null, generation: 1, keys: null };
  const tls = { cert: fs.readFileSync(cfg.tls.cert), key: fs.readFileSync(cfg.tls.key) };

  const server = https.createServer(tls, (req, res) => {
    if (new URL(req.url, 'https://x').pathname === '/profile') {
      profile(state, req, res)
        .catch((e) => sendJson(res, 500, { error: 'server_error', msg: String(e) }));
      return;
    }
    state.callback(req, res);
  });

  // The issuer holds the port, so the provider is made once the port is known.
  server.listen(cfg.port, cfg.host, () => {
    const { port } = server.address();
    const issuer = (cfg.issuer ?? `https://${cfg.host}:{port}`).replaceAll('{port}', String(port));
    const install = () => {
      state.keys = makeKeys(cfg.keys, state.generation);
      state.provider = makeProvider(cfg, issuer, state.keys, cookieKeys);
      state.provider.on('server_error', (_ctx, err) => console.error('idp: server_error', err));
      state.callback = state.provider.callback();
      return state.keys.map((k) => k.kid);
    };
    const kids = install();
    process.on('SIGHUP', () => {
      state.generation += 1;
      console.log(`ROTATED ${JSON.stringify({ kids: install() })}`);
    });
    console.log(`READY ${JSON.stringify({ issuer, port, kids })}`);
  });
  server.on('error', (e) => fail(String(e)));
  const stop = () => { server.closeAllConnections?.(); server.close(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
