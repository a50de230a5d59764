// A real OpenID provider for the tests (npm oidc-provider): discovery, JWKS and JWT
// access tokens through the client-credentials grant. Usage: node oidc_provider.mjs PORT
// POST /_rotate replaces the signing keys (a key rotation, without a restart).
// Clients (secret = client id): every client_id below; claims per client in CLIENTS.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const issuer = `http://127.0.0.1:${port}`;
export const AUDIENCE = 'urn:followup:api';

// client id -> extra claims of its access tokens, signing algorithm and lifetime.
const CLIENTS = {
  'pry-justice': { name: 'Ana Focal', email: 'ana@example.org', groups: ['pry-justice-fp'] },
  'pry-coordinator': { name: 'Carlos Coord', groups: ['pry-coordinators'] },
  'plain-user': { name: 'Pat Plain', email: 'pat@example.org' },
  'es-user': { name: 'Eve Elliptic', alg: 'ES256' },
  'short-lived': { name: 'Sam Short', ttl: 1 },
};
// Generic people whose roles the tests grant in the database (tests/people/conftest.py).
for (let i = 1; i <= 12; i += 1) CLIENTS[`person-${i}`] = { name: `Person ${i}` };

function keys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: `rsa-${randomUUID()}`, use: 'sig', alg: 'RS256' },
    { ...ec, kid: `ec-${randomUUID()}`, use: 'sig', alg: 'ES256' },
  ];
}

function build() {
  const provider = new Provider(issuer, {
    clients: Object.keys(CLIENTS).map((id) => ({
      client_id: id,
      client_secret: id,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'api',
    })),
    jwks: { keys: keys() },
    scopes: ['openid', 'api'],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => {
          if (!resource.startsWith('urn:')) throw new errors.InvalidTarget();
          const spec = CLIENTS[client.clientId] || {};
          return {
            scope: 'api',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: spec.ttl || 300,
            jwt: { sign: { alg: spec.alg || 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: (ctx, token) => {
      const spec = CLIENTS[token.clientId] || {};
      const claims = {};
      for (const name of ['name', 'email', 'groups']) if (spec[name]) claims[name] = spec[name];
      return claims;
    },
  });
  provider.proxy = false;
  return provider;
}

let current = build().callback();
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/_rotate') {
    current = build().callback();
    res.writeHead(204).end();
    return;
  }
  current(req, res);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
