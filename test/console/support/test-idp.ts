import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildResponse, encode, IDP_ENTITY_ID, idpKey, readAuthnRequest, sign } from '../../saml/support/idp.ts';

/**
 * A tiny IdP on its own port for browser tests: GET /sso receives the
 * AuthnRequest (HTTP-Redirect binding) and answers a page whose form POSTs a
 * signed SAMLResponse for `nameId`, InResponseTo the request, to the SP's ACS.
 * The browser submits it by clicking "Continue to Gatehouse", as after an IdP sign-in.
 */
export interface TestIdp {
  ssoUrl: string;
  /** The IdP metadata an admin downloads from Okta or Entra, for this IdP. */
  metadataXml: string;
  /** Where this IdP serves metadataXml, as Okta's "Metadata URL" or Entra's "App Federation Metadata URL" does. */
  metadataUrl: string;
  /** AuthnRequest ids received, oldest first. */
  requests: string[];
  close(): Promise<void>;
}

const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** `host`: the name its URL uses (default 127.0.0.1; `localhost` makes it another site than a Gatehouse on 127.0.0.1). */
export async function startTestIdp(sp: { entityId: string; acsUrl: string; nameId: string; host?: string }): Promise<TestIdp> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://idp.test');
    if (url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(metadataXml);
      return;
    }
    if (url.pathname !== '/sso') {
      // The browser's /favicon.ico: nothing, without an error in its console.
      res.writeHead(204).end();
      return;
    }
    const request = readAuthnRequest(url.href);
    requests.push(request.id);
    const xml = sign(buildResponse({ audience: sp.entityId, acsUrl: sp.acsUrl, inResponseTo: request.id, nameId: sp.nameId }), 'assertion');
    const relay = request.relayState ? `<input type="hidden" name="RelayState" value="${esc(request.relayState)}">` : '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!doctype html><html lang="en"><head><title>Test IdP</title></head><body><main><h1>Test IdP</h1>` +
        `<form method="post" action="${esc(sp.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${encode(xml)}">${relay}` +
        `<button type="submit">Continue to Gatehouse</button></form></main></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const ssoUrl = `http://${sp.host ?? '127.0.0.1'}:${port}/sso`;
  const certBody = idpKey.cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const metadataXml = `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${IDP_ENTITY_ID}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certBody}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ssoUrl}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
  return {
    ssoUrl,
    metadataXml,
    metadataUrl: `http://${sp.host ?? '127.0.0.1'}:${port}/metadata`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
