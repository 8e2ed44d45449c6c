// A real OpenID provider for the single sign-on tests (tests/it/oidc.rs): the npm package
// `oidc-provider` (installed by scripts/install-oidc-provider.sh into target/oidc-provider), on
// 127.0.0.1 at a free port, with one client (PKCE required), a `groups` claim in the ID token and
// three test accounts. Its own development login and consent forms stand in for a real sign-in:
// any password is taken, the login picks the account.
//
//   OIDC_PROVIDER_DIR=target/oidc-provider REDIRECT=http://127.0.0.1:PORT/api/oidc/callback \
//     node tests/oidc/provider.mjs
//
// prints `issuer http://127.0.0.1:PORT` on its first line once it listens, and stops when its
// standard input closes (so it never outlives the test that started it).
//
// For the refusal tests, `POST /test/next-token?mode=MODE` makes the next token response carry a
// bad ID token: `tampered` (a claim changed, the signature kept), `audience` (signed by the
// provider's key for another client), `expired` (signed, an hour past its expiry), `nonce`
// (signed, another nonce).

import http from 'node:http';
import crypto from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.OIDC_PROVIDER_DIR;
const redirect = process.env.REDIRECT;
if (!dir || !redirect) {
  console.error('provider.mjs: OIDC_PROVIDER_DIR and REDIRECT must be set');
  process.exit(2);
}
const { default: Provider } = await import(
  pathToFileURL(path.resolve(dir, 'node_modules/oidc-provider/lib/index.js')).href
);

const accounts = {
  anna: { name: 'Anna Berg', groups: ['rambok-controller'] },
  rut: { name: 'Rut Ek', groups: ['alla-anstallda', 'rambok-revisor'] },
  olle: { name: 'Olle Ny', groups: ['alla-anstallda'] },
};

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'rambok-test-1', alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'rambok',
      client_secret: 'testhemlighet-for-rambok',
      redirect_uris: [redirect],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
  scopes: ['openid', 'profile', 'groups'],
  // The profile and groups claims go into the ID token itself, as Entra ID puts `groups` there.
  conformIdTokenClaims: false,
  findAccount: (ctx, id) => {
    const a = accounts[id];
    if (!a) return undefined;
    return {
      accountId: id,
      claims: () => ({ sub: id, name: a.name, preferred_username: id, groups: a.groups }),
    };
  },
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  features: { devInteractions: { enabled: true } },
});

let nextMode = null;
const resign = (payload, header) => {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(
    JSON.stringify(payload),
  ).toString('base64url')}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
};
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || !nextMode || !ctx.body || !ctx.body.id_token) return;
  const mode = nextMode;
  nextMode = null;
  const [h, p, s] = ctx.body.id_token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  if (mode === 'tampered') {
    payload.groups = ['rambok-controller'];
    payload.sub = 'olle';
    payload.name = 'Olle Ny';
    ctx.body = { ...ctx.body, id_token: `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}` };
  } else if (mode === 'audience') {
    payload.aud = 'en-annan-klient';
    ctx.body = { ...ctx.body, id_token: resign(payload, header) };
  } else if (mode === 'expired') {
    payload.iat -= 7200;
    payload.exp = payload.iat + 3600;
    ctx.body = { ...ctx.body, id_token: resign(payload, header) };
  } else if (mode === 'nonce') {
    payload.nonce = 'ett-annat-nonce';
    ctx.body = { ...ctx.body, id_token: resign(payload, header) };
  }
});

const callback = provider.callback();
server.on('request', (req, res) => {
  const url = new URL(req.url, issuer);
  if (req.method === 'POST' && url.pathname === '/test/next-token') {
    nextMode = url.searchParams.get('mode');
    res.writeHead(204);
    res.end();
    return;
  }
  callback(req, res);
});

console.log(`issuer ${issuer}`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
