import { z } from 'zod';
import type { Method, RouteSpec } from '../admin/route.ts';
import { loginBody, resetBody, resetRequestBody } from './password.ts';
import { changePasswordBody } from './password-change.ts';
import { challenge, codeBody, enrollBody, sendBody } from './mfa.ts';
import { formBody as invitationForm } from '../invitations.ts';
import { ssoDiscoveryQuery } from './sso-discovery.ts';

/**
 * A route outside /api/orgs/:org, described for the OpenAPI document
 * (src/http/openapi.ts). The zod schemas are the ones the handlers parse with,
 * so the document cannot drift from what is validated.
 */
export interface PublicRouteSpec extends Omit<RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>, 'permission' | 'rawBody'> {
  method: Method;
  /** The full Express path (`/auth/password/reset/:token`). */
  path: string;
  /** `session`: the session cookie is needed; `optional-session`: used when sent; `none`: public. */
  auth: 'none' | 'session' | 'optional-session';
  /** The media types the body is read in; JSON when absent. */
  bodyMediaTypes?: readonly string[];
  /** Statuses answered with the JSON Error body (codes from src/http/error-codes.ts). */
  errors: readonly number[];
}

const JSON_OR_FORM = ['application/json', 'application/x-www-form-urlencoded'] as const;
const html = (description: string) => ({ description, contentType: 'text/html' });
const SIGNED_IN = 'JSON: signed in (`user`, `session`; the session cookie is set), or `{mfaRequired: true, challenge, purpose, methods, expiresAt}` when a second factor is needed';
const FORM_REDIRECT = 'Form post: redirect to the admin console (or the `next` console page) when signed in, or to the second-factor step';
/** What every throttled, same-origin-checked form step can answer with JSON (src/http/auth/guard.ts, src/http/bodies.ts). */
const GUARDED = [400, 403, 413, 415, 429, 503] as const;

export const authRouteSpecs: readonly PublicRouteSpec[] = [
  {
    method: 'get',
    path: '/auth/sso',
    tag: 'Single sign-on',
    summary: '“Sign in with SSO”: from an organization ID or a work email to the org’s SAML sign-in',
    description: 'A work email resolves through the email domains the server operator set for an org (`gatehouse org sso-domains`).',
    auth: 'none',
    query: ssoDiscoveryQuery,
    responses: { 303: { description: 'To /saml/:org/login, with `next` as RelayState' }, 400: html('The sign-in page, asking for an organization or email'), 404: html('The sign-in page, saying no single sign-on was found') },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/session',
    tag: 'Session',
    summary: 'The signed-in person and their session',
    description: 'Also returns `csrfToken`, to send as `X-CSRF-Token` on admin API changes made with the session cookie.',
    auth: 'session',
    responses: { 200: { description: '`user` (with orgRole and permissions), `session`, `csrfToken`' } },
    errors: [401, 503],
  },
  {
    method: 'post',
    path: '/api/session/password',
    tag: 'Session',
    summary: 'Change your own password (signed in)',
    description:
      'Send the session cookie and `X-CSRF-Token` (`csrfToken` of GET /api/session). `currentPassword` must be right: wrong ones count toward the same lockout as sign-in (429 `rate_limited` with `details.reason: account_locked` while locked). `newPassword` meets the strictest password policy of the person’s orgs and differs from the current one; `confirmPassword`, when sent, must match. Every other session of the person ends, one `auth.password_changed` event is recorded and the person is mailed. 403 `forbidden` with `details.reason` `sso_enforced` (every org of the person signs in with SSO) or `not_set` (no password yet: use the reset link).',
    auth: 'session',
    body: changePasswordBody,
    responses: { 200: { description: '`{status: "password_changed", endedSessions}`' } },
    errors: [400, 401, 403, 413, 415, 429, 503],
  },
  {
    method: 'post',
    path: '/auth/logout',
    tag: 'Session',
    summary: 'Sign out: ends the session and clears the cookie',
    description: 'A post another site made the browser send (`Origin` other than PUBLIC_URL, or `Sec-Fetch-Site` other than same-origin) is 403 `cross_origin`, and the session goes on.',
    auth: 'optional-session',
    responses: { 204: { description: 'Signed out (also when no session was sent)' }, 303: { description: 'A form post (the sign-out page’s button): signed out, sent to `/console/login?signedOut=1`' } },
    errors: [403, 503],
  },
  {
    method: 'get',
    path: '/auth/logout',
    tag: 'Session',
    summary: 'The sign-out page, for links and bookmarks',
    description: 'Ends nothing (any site can make a browser send a GET): shows who is signed in and a Sign out button that posts to `/auth/logout`, or says that nobody is signed in.',
    auth: 'optional-session',
    responses: { 200: html('The sign-out page') },
    errors: [],
  },
  {
    method: 'get',
    path: '/auth/password/login',
    tag: 'Password sign-in',
    summary: 'The sign-in page',
    auth: 'none',
    responses: { 200: html('The sign-in form') },
    errors: [],
  },
  {
    method: 'post',
    path: '/auth/password/login',
    tag: 'Password sign-in',
    summary: 'Sign in with email and password',
    description:
      'One answer for every failed sign-in (401 `unauthenticated`); `org_required` (400) lists the orgs (`details.orgs`: slugs; `details.organizations`: `{slug, name}`) when the person belongs to several; `forbidden` with `details.reason: sso_required` when the org signs in with SAML. A form post gets the page back with the message instead.',
    auth: 'none',
    body: loginBody,
    bodyMediaTypes: JSON_OR_FORM,
    responses: { 200: { description: SIGNED_IN }, 303: { description: FORM_REDIRECT } },
    errors: [...GUARDED, 401],
  },
  {
    method: 'get',
    path: '/auth/password/reset',
    tag: 'Password sign-in',
    summary: 'The page to ask for a password reset link',
    auth: 'none',
    responses: { 200: html('The reset request form') },
    errors: [],
  },
  {
    method: 'post',
    path: '/auth/password/reset-request',
    tag: 'Password sign-in',
    summary: 'Ask for a password reset link by email',
    description: 'The same answer whether or not the address has an account.',
    auth: 'none',
    body: resetRequestBody,
    bodyMediaTypes: JSON_OR_FORM,
    responses: { 202: { description: '`{status: "accepted", message}` (a form post gets a page)' } },
    errors: GUARDED,
  },
  {
    method: 'get',
    path: '/auth/password/reset/:token',
    tag: 'Password sign-in',
    summary: 'The page to choose a new password',
    auth: 'none',
    responses: { 200: html('The new password form'), 410: html('The link is unknown, expired or used') },
    errors: [],
  },
  {
    method: 'post',
    path: '/auth/password/reset/:token',
    tag: 'Password sign-in',
    summary: 'Set a new password with a reset link',
    description: 'Ends every other session of the person. `confirmPassword`, when sent, must match.',
    auth: 'optional-session',
    body: resetBody,
    bodyMediaTypes: JSON_OR_FORM,
    responses: { 200: { description: '`{status: "password_changed", endedSessions}` (a form post gets a page)' } },
    errors: [...GUARDED, 410],
  },
  {
    method: 'get',
    path: '/auth/mfa',
    tag: 'Second factor',
    summary: 'The page to enter a second-factor code',
    auth: 'none',
    query: z.object({ challenge }),
    responses: { 200: html('The code form'), 303: { description: 'The challenge is an enrolment: redirect to /auth/mfa/enroll' }, 401: html('The challenge ended: sign in again') },
    errors: [],
  },
  {
    method: 'post',
    path: '/auth/mfa/verify',
    tag: 'Second factor',
    summary: 'Prove the second factor and finish signing in',
    description: 'A wrong code answers 400 `invalid_code`; after five the challenge ends (401 `mfa_challenge_invalid`).',
    auth: 'none',
    body: codeBody,
    bodyMediaTypes: JSON_OR_FORM,
    responses: { 200: { description: 'JSON: signed in (`user`, `session`; the session cookie is set)' }, 303: { description: FORM_REDIRECT } },
    errors: [...GUARDED, 401],
  },
  {
    method: 'post',
    path: '/auth/mfa/send',
    tag: 'Second factor',
    summary: 'Send a one-time code by email or SMS',
    auth: 'none',
    body: sendBody,
    bodyMediaTypes: JSON_OR_FORM,
    responses: { 202: { description: '`{status: "sent", method}` (a form post gets the code page)' } },
    errors: [...GUARDED, 401],
  },
  {
    method: 'get',
    path: '/auth/mfa/enroll',
    tag: 'Second factor',
    summary: 'The page to set up a second factor',
    auth: 'none',
    query: z.object({ challenge }),
    responses: { 200: html('The choice of method'), 303: { description: 'Not an enrolment: redirect to /auth/mfa' }, 401: html('The challenge ended: sign in again') },
    errors: [],
  },
  {
    method: 'post',
    path: '/auth/mfa/enroll',
    tag: 'Second factor',
    summary: 'Start setting up a second factor',
    auth: 'none',
    body: enrollBody,
    bodyMediaTypes: JSON_OR_FORM,
    responses: { 200: { description: '`{method, secret?, otpauthUri?, sentTo?}`: the TOTP key to scan, or where the code was sent' } },
    errors: [...GUARDED, 401],
  },
  {
    method: 'post',
    path: '/auth/mfa/enroll/confirm',
    tag: 'Second factor',
    summary: 'Confirm the new second factor with a code and finish signing in',
    auth: 'none',
    body: codeBody,
    bodyMediaTypes: JSON_OR_FORM,
    responses: {
      200: { description: 'JSON: signed in, with `recoveryCodes` shown this once; a form post gets the recovery codes page' },
      303: { description: FORM_REDIRECT },
    },
    errors: [...GUARDED, 401],
  },
  {
    method: 'get',
    path: '/invitations/:token',
    tag: 'Invitations',
    summary: 'The registration page an invitation links to',
    auth: 'none',
    responses: { 200: html('The registration form, or the single sign-on page'), 404: html('Unknown invitation'), 410: html('Expired, revoked or used') },
    errors: [],
  },
  {
    method: 'post',
    path: '/invitations/:token',
    tag: 'Invitations',
    summary: 'Accept an invitation: register and sign in',
    description: 'A form only; every refusal is a page.',
    auth: 'none',
    body: invitationForm,
    bodyMediaTypes: ['application/x-www-form-urlencoded'],
    responses: {
      303: { description: 'Registered: redirect to /api/session, or to the second-factor step' },
      400: html('A field was refused: the form again, naming it'),
      403: html('Cross-site post, single sign-on required, or no free seat'),
      404: html('Unknown invitation'),
      410: html('Expired, revoked or used'),
      429: html('Too many attempts'),
    },
    errors: [],
  },
];
