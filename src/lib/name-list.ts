/** A name up to this long is shown whole; a longer one as its first SHOWN characters, an ellipsis and its length. */
const LONGEST_WHOLE = 120;
const SHOWN = 60;

function shown(name: string): string {
  return name.length <= LONGEST_WHOLE ? name : `${name.slice(0, SHOWN)}… (${name.length} characters)`;
}

/**
 * Names joined with ", " in at most `budget` characters, for a detail stored with a length limit
 * (an audit entry): the names that do not fit are counted ("and 2 more") rather than one cut in
 * the middle, and a very long name is abbreviated so that it cannot push the others out.
 */
export function nameList(names: readonly string[], budget: number): string {
  const all = names.map(shown);
  for (let kept = all.length; kept > 0; kept--) {
    const rest = all.length - kept;
    const text = `${all.slice(0, kept).join(', ')}${rest ? `, and ${rest} more` : ''}`;
    if (text.length <= budget) return text;
  }
  return `${all.length} names`;
}
