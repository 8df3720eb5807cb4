export interface Redactor {
  redact(text: string): string;
  /** Hides one more value from now on, e.g. a token minted while the task runs. */
  add(value: string | undefined): void;
  /** How many distinct secret values this redactor hides (their encoded forms not counted). */
  readonly size: number;
}

/**
 * Values shorter than this are not redacted: masking every "true", "dev" or "1234" would mangle ordinary log text and
 * hide almost nothing, so secrets must be at least this long to be protected.
 */
const MIN_SECRET_LENGTH = 4;
const MASK = "***";

/**
 * Builds a redactor for the given secret values. Besides the plain value it hides the value's base64 form, because tokens
 * leak base64-encoded in Basic auth headers (`base64("user:" + token)`), where the token can start at any byte offset.
 * Matching is plain substring search over the original text, so regex specials in values need no escaping, and
 * overlapping or adjacent secrets are masked as one merged span instead of leaking the part the first match did not cover.
 */
export function createRedactor(values: Iterable<string | undefined>): Redactor {
  const secrets = new Set<string>();
  const needles = new Set<string>();
  const add = (value: string | undefined) => {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
    secrets.add(value);
    // Each line of a multi-line value (a PEM block) too: quoting or indenting puts text between its lines.
    const lines = value.split(/\r?\n/).filter((line) => line.trim().length >= MIN_SECRET_LENGTH);
    for (const pattern of [value, ...base64Forms(value), ...(lines.length > 1 ? lines : [])]) {
      if (pattern.length >= MIN_SECRET_LENGTH) needles.add(pattern);
    }
  };
  for (const value of values) add(value);

  return {
    add,
    get size() {
      return secrets.size;
    },
    redact(text) {
      if (needles.size === 0 || text.length === 0) return text;
      return maskSpans(text, findSpans(text, [...needles]));
    },
  };
}

/**
 * The base64 text that a value produces wherever it sits in an encoded byte stream: the whole padded encoding, plus for
 * each of the three byte alignments the characters that depend on the value's bytes alone (the first and last characters
 * also carry bits of whatever surrounds the value, so they differ from one occurrence to the next).
 */
export function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms = [bytes.toString("base64")];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const firstBit = shift * 8;
    const endBit = (shift + bytes.length) * 8;
    const first = Math.ceil(firstBit / 6);
    const end = Math.floor(endBit / 6);
    forms.push(encoded.slice(first, end));
  }
  return forms;
}

function findSpans(text: string, needles: string[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const needle of needles) {
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      spans.push([at, at + needle.length]);
    }
  }
  return spans.sort((a, b) => a[0] - b[0]);
}

function maskSpans(text: string, sortedSpans: Array<[number, number]>): string {
  let out = "";
  let cursor = 0;
  let spanEnd = -1;
  for (const [start, end] of sortedSpans) {
    if (start > spanEnd) {
      if (spanEnd >= 0) out += MASK;
      out += text.slice(cursor, start);
      spanEnd = end;
    } else {
      spanEnd = Math.max(spanEnd, end);
    }
    cursor = spanEnd;
  }
  if (spanEnd >= 0) out += MASK;
  return out + text.slice(cursor);
}
