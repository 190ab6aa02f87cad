// A stand-in identity provider for the social-login tests: npm oidc-provider on 127.0.0.1, plain HTTP.
//
//   node tests/tools/oidc-provider.mjs <port|0>
//
// Prints {"port":N,"issuer":"http://127.0.0.1:N"} on stdout once it listens (port 0 picks a free one);
// everything else it says goes to stderr. Exits when stdin closes, so it never outlives the test process.
//
// One confidential client, as the API's Google scheme is configured in tests:
//   client_id headless-test, client_secret headless-secret (client_secret_post: ASP.NET Core's OAuth
//   handler posts both in the token request's form body), authorization_code with PKCE (S256);
//   and headless-browser-test, the same for the browser tests' shop on http://127.0.0.1:<any port>.
// Routes (oidc-provider's defaults): /auth, /token, /me (userinfo), /interaction/:uid (the built-in
// development login and consent forms; any password is accepted).
//
// The login typed into the form is the account id, which oidc-provider issues as `sub`; it picks the scenario:
//   alice                   -> alice@example.test, verified, Alice Green
//   verified:<email>        -> <email>, verified
//   unverified:<email>      -> <email>, NOT verified
// Names: given_name is the email's local part up to its first non-letter, capitalised; family_name is Green.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number.parseInt(process.argv[2] ?? '', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node tests/tools/oidc-provider.mjs <port|0>');
  process.exit(2);
}

// oidc-provider prints its development notices with console.info; stdout carries only the ready line.
console.info = (...args) => console.error(...args);

function claimsFor(accountId) {
  const match = /^(verified|unverified):(.+@.+)$/.exec(accountId);
  const email = match ? match[2] : `${accountId}@example.test`;
  const first = /^[a-z]+/i.exec(email)?.[0] ?? 'Sam';
  return {
    sub: accountId,
    email,
    email_verified: match ? match[1] === 'verified' : true,
    given_name: first[0].toUpperCase() + first.slice(1).toLowerCase(),
    family_name: 'Green',
  };
}

// A fresh signing key per run (id tokens are RS256 by default); nothing outlives the process.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

function start(issuer, server) {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'headless-test',
        client_secret: 'headless-secret',
        redirect_uris: ['https://localhost/api/v1/auth/external/google/callback'],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      // The browser tests' shop listens on a port picked at start: a loopback redirect URI of a native client
      // matches any port (RFC 8252 7.3), which a web client's exact match cannot.
      {
        client_id: 'headless-browser-test',
        client_secret: 'headless-secret',
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/api/v1/auth/external/google/callback'],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    // PKCE is accepted from every client and required of public ones; ours is confidential and sends it anyway.
    pkce: { required: () => false },
    scopes: ['openid', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name'],
    },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return claimsFor(id);
        },
      };
    },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [signingKey] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
      Grant: 600,
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  provider.on('server_error', (_ctx, err) => console.error(`oidc-provider: server_error ${err.stack ?? err}`));
  server.on('request', provider.callback());
}

const server = createServer();
server.on('error', (err) => {
  console.error(`oidc-provider: ${err.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const listening = server.address().port;
  const issuer = `http://127.0.0.1:${listening}`;
  start(issuer, server);
  process.stdout.write(JSON.stringify({ port: listening, issuer }) + '\n');
});

const stop = () => {
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
