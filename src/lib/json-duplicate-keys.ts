/** A name given twice in one object: where (`name`, `emails[1]`, '' for the top) and both spellings. */
export interface DuplicateKey {
  path: string;
  first: string;
  second: string;
}

type Frame = { kind: 'object'; path: string; keys: Map<string, string>; expectKey: boolean; key: string } | { kind: 'array'; path: string; index: number };

function childPath(frame: Frame | undefined): string {
  if (!frame) return '';
  if (frame.kind === 'array') return `${frame.path}[${frame.index}]`;
  return frame.path ? `${frame.path}.${frame.key}` : frame.key;
}

/** The index just past the string starting with the quote at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/**
 * The first object in a JSON text that names one key twice, keys compared after `fold`
 * (identity for exact duplicates, lower case for SCIM's case-insensitive attribute names).
 * JSON.parse keeps the last of two equal names and gives no sign of the first (RFC 8259 §4
 * leaves that to each parser), so this reads the text itself: one pass, keys decoded as JSON
 * strings so `"user\u004eame"` is `userName`. Meant for text JSON.parse accepted; on other
 * text it finds what it can and never throws.
 */
export function duplicateKey(text: string, fold: (key: string) => string): DuplicateKey | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack.at(-1);
    if (c === '{' || c === '[') {
      const path = childPath(top);
      stack.push(c === '{' ? { kind: 'object', path, keys: new Map(), expectKey: true, key: '' } : { kind: 'array', path, index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      if (top?.kind === 'object') top.expectKey = true;
      else if (top?.kind === 'array') top.index++;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (top?.kind === 'object' && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end)) as string;
        } catch {
          return undefined;
        }
        const folded = fold(key);
        const first = top.keys.get(folded);
        if (first !== undefined) return { path: top.path, first, second: key };
        top.keys.set(folded, key);
        top.key = key;
        top.expectKey = false;
      }
      i = end - 1;
    }
  }
  return undefined;
}
