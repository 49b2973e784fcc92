// A real OpenID Connect provider for the tests of maillage's ProConnect login: panva's
// oidc-provider (OpenID Certified), with its development login and consent pages.
//   node provider.mjs <port> <client_id> <client_secret> <redirect_uri>
// The people it knows come as JSON in OIDC_ACCOUNTS: {"login": {"email": ..., "given_name":
// ..., "usual_name": ..., "siret": ...}}; the login typed on its page is the account's `sub`.
// Its signing keys are drawn at start (RS256); it listens on localhost only.
import Provider from "oidc-provider";
import { generateKeyPairSync } from "node:crypto";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-rs256", use: "sig", alg: "RS256" };

const provider = new Provider(`http://localhost:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  scopes: ["openid", "email", "given_name", "usual_name", "siret"],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    given_name: ["given_name"],
    usual_name: ["usual_name"],
    siret: ["siret"],
  },
  cookies: { keys: ["maillage-test-cookies"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const person = accounts[sub];
    if (!person) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email_verified: true, ...person };
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider prêt sur http://localhost:${port}`);
});
