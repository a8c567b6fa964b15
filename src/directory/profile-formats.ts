/**
 * The formats of profile values an admin or the invitee types: a phone number,
 * a language tag (`locale`, `preferredLanguage`), a time zone. Each check says
 * whether the text is one; each door words its own refusal. SCIM does not use
 * them: an IdP's values are stored as it sends them (IdPs send free text).
 */

const EXTENSION = /\s*(?:ext\.?|extension|x|#)\s*[0-9]{1,6}$/i;
const NUMBER = /^\+?[0-9 ()./-]+$/;

/**
 * A phone number as people type it: an optional leading `+`, at least 6 digits,
 * spaces and `( ) . - /` between them, then optionally an extension
 * (`ext. 12`, `x12`, `#12`). The registration form and the admin API share it.
 */
export function isPhoneNumber(text: string): boolean {
  const number = text.trim().replace(EXTENSION, '');
  return NUMBER.test(number) && number.replace(/\D/g, '').length >= 6;
}

export const PHONE_FORMAT = 'digits with an optional leading +, spaces and ( ) . - / between them, and optionally an extension (ext. 12, x12)';

/**
 * A well-formed BCP 47 language tag (RFC 5646, as SCIM's locale and preferredLanguage are, RFC 7643
 * §4.1.1) whose language is an ISO 639 code of 2 or 3 letters: `en`, `en-US`, `zh-Hant-TW`, `es-419`.
 * `_` is taken for `-` (`en_US`): Okta's user profile writes its locale that way and sends it over SCIM.
 */
export function isLanguageTag(text: string): boolean {
  const tag = text.trim().replace(/_/g, '-');
  if (!/^[A-Za-z]{2,3}(?:-|$)/.test(tag)) return false;
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

export const LANGUAGE_TAG_FORMAT = 'a BCP 47 language tag such as en, en-US or zh-Hant-TW';

let zones: ReadonlySet<string> | undefined;

/**
 * An IANA time zone name: `UTC`, a zone of `Intl.supportedValuesOf('timeZone')`, or another
 * Area/Location name of the zone database (`Asia/Kolkata`, `Europe/Kyiv`: ICU lists the older
 * names of some zones). Not an abbreviation (`EST`) nor an offset (`+01:00`); case as IANA spells it.
 */
export function isTimeZone(text: string): boolean {
  const name = text.trim();
  zones ??= new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);
  if (zones.has(name)) return true;
  if (!/^[A-Z][A-Za-z]*(?:\/[A-Z0-9][A-Za-z0-9_+-]*)+$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const TIME_ZONE_FORMAT = 'an IANA time zone such as Europe/Berlin, America/New_York or UTC';
