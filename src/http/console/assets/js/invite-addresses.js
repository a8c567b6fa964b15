// The browser's copy of src/directory/invitation-addresses.ts (parseAddressList),
// so the invite page counts addresses exactly as POST /invitations will read
// them. test/console/invite.test.ts runs both on the same inputs and fails
// when they disagree: change them together.

const MAX_EMAIL_LENGTH = 254;
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

export function isEmailAddress(value) {
  if (value.length > MAX_EMAIL_LENGTH) return false;
  const at = value.lastIndexOf('@');
  if (at < 1) return false;
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  if (local.length > 64 || !LOCAL.test(local) || labels.length < 2) return false;
  return labels.every((label) => LABEL.test(label)) && TLD.test(labels[labels.length - 1]);
}

function segments(text) {
  const out = [];
  let current = '';
  let quoted = false;
  let angled = false;
  for (const char of text) {
    if (char === '"' && !angled) quoted = !quoted;
    else if (char === '<' && !quoted) angled = true;
    else if (char === '>' && !quoted) angled = false;
    if (!quoted && !angled && (char === ',' || char === ';' || char === '\n' || char === '\r')) {
      out.push({ text: current, comma: char === ',' });
      current = '';
    } else {
      current += char;
    }
  }
  out.push({ text: current, comma: false });
  return joinDirectoryNames(out.map((s) => ({ text: s.text.trim(), comma: s.comma })).filter((s) => s.text));
}

const NAME_ONLY = /^[^@<>"]+$/;
const NAMED_ADDRESS = /^[^@<>"]+<[^<>]*>/;

// Outlook's unquoted `Lee, Ann <ann@x.test>`: the comma-ended name words belong to the next entry.
function joinDirectoryNames(pieces) {
  const out = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    const next = pieces[i + 1];
    if (piece.comma && next && NAME_ONLY.test(piece.text) && NAMED_ADDRESS.test(next.text)) {
      out.push(`${piece.text}, ${next.text}`);
      i++;
    } else {
      out.push(piece.text);
    }
  }
  return out;
}

function entry(input, address) {
  const email = address.trim().replace(/^mailto:/i, '').toLowerCase();
  return isEmailAddress(email) ? { input: input.trim(), email } : { input: input.trim(), email: null, problem: 'invalid_email' };
}

function bareWords(segment) {
  const words = segment.split(/\s+/).filter(Boolean);
  const addresses = words.filter((w) => w.includes('@'));
  if (!addresses.length) return [{ input: segment, email: null, problem: 'invalid_email' }];
  if (addresses.length === 1) return [entry(segment, addresses[0])];
  return words.map((word) => (word.includes('@') ? entry(word, word) : { input: word, email: null, problem: 'invalid_email' }));
}

function parseSegment(segment) {
  const out = [];
  const angle = /<([^<>]*)>/g;
  let start = 0;
  for (let match = angle.exec(segment); match; match = angle.exec(segment)) {
    out.push(entry(segment.slice(start, angle.lastIndex), match[1]));
    start = angle.lastIndex;
  }
  if (start === 0) return bareWords(segment);
  const rest = segment.slice(start).trim();
  if (rest) out.push(...bareWords(rest));
  return out;
}

/** Every entry attempted, in order, as {input, email, problem?}; a repeat is `duplicate_in_request`. */
export function parseAddressList(text) {
  const seen = new Set();
  const out = [];
  for (const parsed of segments(text).flatMap(parseSegment)) {
    if (parsed.email && seen.has(parsed.email)) out.push({ ...parsed, problem: 'duplicate_in_request' });
    else {
      if (parsed.email) seen.add(parsed.email);
      out.push(parsed);
    }
  }
  return out;
}

/** What the live count shows: addresses that will be tried, entries that are not addresses, repeats. */
export function countAddresses(text) {
  const parsed = parseAddressList(text);
  return {
    recognised: parsed.filter((p) => !p.problem).length,
    invalid: parsed.filter((p) => p.problem === 'invalid_email').length,
    duplicates: parsed.filter((p) => p.problem === 'duplicate_in_request').length,
  };
}
