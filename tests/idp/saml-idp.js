// SPDX-License-Identifier: MIT
// A SAML 2.0 identity provider for the sign-in runtime's black-box tests:
// npm samlify in the IdP role over HTTPS. It takes an AuthnRequest by the
// HTTP-Redirect binding at /sso and answers with the HTTP-POST binding's
// page (a form that posts SAMLResponse and RelayState to the SP's
// assertion consumer service), signed with a key of its own. Not a
// production configuration: no login page (every request signs in the
// configured person), throwaway keys.
//
// usage: node saml-idp.js CONFIG.json
//
// CONFIG.json:
//   port       TCP port on 127.0.0.1; 0 picks a free one
//   tls        {"cert": PEM path, "key": PEM path} of the HTTPS listener
//   signing    {"cert": PEM path, "key": PEM path} the IdP signs with
//   entity_id  the IdP's entity id; "{port}" is replaced by the port
//   sign       "assertion" (default), "response" or "both"
//   sha1       true: RSA-SHA1 and SHA-1 digests (default RSA-SHA256)
//   name_id    the NameID (default alice@example.com)
//   attributes {name: [values]} (default an e-mail address and a name)
//
// POST /control/sp with the SP's metadata XML as body before the first
// sign-in: the IdP learns the SP's entity id and assertion consumer
// service from it, as a real IdP is configured.
//
// stdout: "READY {"port", "entity_id", "sso"}" once listening. SIGTERM or
// SIGINT: close and exit 0.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import * as saml from 'samlify';

// samlify validates what it parses with an XML schema validator of the
// caller's choice; the only thing parsed here is socialgate's request,
// which the tests check against the schema themselves.
saml.setSchemaValidator({ validate: () => Promise.resolve('not validated here') });

const NS = 'urn:oasis:names:tc:SAML:2.0';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

function fail(msg) {
  process.stderr.write(`saml-idp: ${msg}\n`);
  process.exit(2);
}

function escapeXml(s) {
  return String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function escapeHtml(s) {
  return escapeXml(s);
}

// The response's AuthnStatement and AttributeStatement: samlify's own
// template leaves the first out, which the Web SSO profile requires.
function statements(cfg, now) {
  const authn = `<saml:AuthnStatement AuthnInstant="${now}" SessionIndex="_${crypto.randomUUID()}">`
    + '<saml:AuthnContext><saml:AuthnContextClassRef>'
    + `${NS}:ac:classes:PasswordProtectedTransport`
    + '</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>';
  const attrs = Object.entries(cfg.attributes).map(([name, values]) => `<saml:Attribute Name="${escapeXml(name)}" NameFormat="${NS}:attrname-format:basic">`
      + values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`).join('')
      + '</saml:Attribute>').join('');
  return authn + (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '');
}

// samlify's template filled as samlify fills it, plus the statements.
function fill(cfg, sp, request) {
  return (template) => {
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60 * 1000).toISOString();
    const acs = sp.entityMeta.getAssertionConsumerService(saml.Constants.wording.binding.post);
    const id = `_${crypto.randomUUID()}`;
    const values = {
      ID: id,
      AssertionID: `_${crypto.randomUUID()}`,
      Destination: acs,
      Audience: sp.entityMeta.getEntityID(),
      SubjectRecipient: acs,
      Issuer: cfg.entity_id,
      IssueInstant: now.toISOString(),
      StatusCode: `${NS}:status:Success`,
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later,
      SubjectConfirmationDataNotOnOrAfter: later,
      NameIDFormat: EMAIL_FORMAT,
      NameID: cfg.name_id,
      InResponseTo: request.extract.request.id,
      AuthnStatement: '',
      AttributeStatement: '',
    };
    let context = saml.default.SamlLib.replaceTagsByValue(template, values);
    context = context.replace('</saml:Conditions>', `</saml:Conditions>${statements(cfg, now.toISOString())}`);
    return { id, context };
  };
}

// The SP as samlify sees it: from its metadata, with what is signed set
// by cfg.sign (samlify signs the assertion when the SP's metadata wants
// signed assertions, and the response when the SP setting asks).
function serviceProvider(cfg, metadata) {
  const want = cfg.sign === 'response' ? 'false' : 'true';
  const md = metadata.replace(/WantAssertionsSigned="[^"]*"/, `WantAssertionsSigned="${want}"`);
  return saml.ServiceProvider({ metadata: md, wantMessageSigned: cfg.sign !== 'assertion' });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

function postPage(action, fields) {
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
  return `<!DOCTYPE html><html><body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button>Continue</button></noscript></form></body></html>`;
}

async function main() {
  if (process.argv.length !== 3) fail('usage: node saml-idp.js CONFIG.json');
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  cfg.sign = cfg.sign || 'assertion';
  cfg.name_id = cfg.name_id || 'alice@example.com';
  cfg.attributes = cfg.attributes || {
    email: ['alice@example.com'], givenName: ['Alice'], surname: ['Liddell'],
  };
  if (!['assertion', 'response', 'both'].includes(cfg.sign)) fail(`sign: ${cfg.sign}?`);
  let idp = null;
  let sp = null;

  const server = https.createServer({
    cert: fs.readFileSync(cfg.tls.cert), key: fs.readFileSync(cfg.tls.key),
  }, async (req, res) => {
    const url = new URL(req.url, 'https://127.0.0.1');
    try {
      if (req.method === 'POST' && url.pathname === '/control/sp') {
        sp = serviceProvider(cfg, await readBody(req));
        res.writeHead(204).end();
      } else if (req.method === 'GET' && url.pathname === '/sso') {
        if (!sp) throw new Error('no SP metadata yet (POST /control/sp)');
        const query = Object.fromEntries(url.searchParams);
        const parsed = await idp.parseLoginRequest(sp, 'redirect', { query, octetString: '' });
        const out = await idp.createLoginResponse(sp, parsed, 'post', {}, fill(cfg, sp, parsed), false, query.RelayState);
        const fields = { SAMLResponse: out.context };
        if (query.RelayState !== undefined) fields.RelayState = query.RelayState;
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(postPage(out.entityEndpoint, fields));
      } else {
        res.writeHead(404).end();
      }
    } catch (err) {
      process.stderr.write(`saml-idp: ${req.method} ${url.pathname}: ${err && err.stack ? err.stack : err}\n`);
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`${err}`);
    }
  });
  server.listen(cfg.port || 0, '127.0.0.1', () => {
    const { port } = server.address();
    cfg.entity_id = (cfg.entity_id || 'https://127.0.0.1:{port}/metadata').replace('{port}', String(port));
    const sso = `https://127.0.0.1:${port}/sso`;
    const alg = cfg.sha1 ? SHA1 : SHA256;
    idp = saml.IdentityProvider({
      entityID: cfg.entity_id,
      privateKey: fs.readFileSync(cfg.signing.key),
      signingCert: fs.readFileSync(cfg.signing.cert),
      requestSignatureAlgorithm: alg,
      wantAuthnRequestsSigned: false,
      isAssertionEncrypted: false,
      nameIDFormat: [EMAIL_FORMAT],
      singleSignOnService: [{ Binding: `${NS}:bindings:HTTP-Redirect`, Location: sso }],
      singleLogoutService: [{ Binding: `${NS}:bindings:HTTP-Redirect`, Location: `https://127.0.0.1:${port}/slo` }],
    });
    process.stdout.write(`READY ${JSON.stringify({ port, entity_id: cfg.entity_id, sso })}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
