// Text a human reads on GitHub and text the model reads must be the same: anything GitHub does not
// render (HTML comments, invisible code points) is a channel for instructions nobody reviewed.

// \p{Cf} holds the format characters: zero-width spaces and joiners, bidi controls (U+200E/F,
// U+202A-202E, U+2066-2069), word joiner, BOM, soft hyphen, tag characters, interlinear annotations.
// Added: C0/C1 controls except \n and \t, lone surrogates, fillers that render as nothing (combining
// grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian variation selectors), the whole tag
// block and the variation-selector supplement, whose only use in issue text is smuggling bytes.
const INVISIBLE = String.raw`[\p{Cf}\p{Cs}\u0000-\u0008\u000B-\u001F\u007F-\u009F\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]`;

// A zero-width joiner between emoji draws one glyph (👨‍👩‍👧), so it is kept there and removed elsewhere.
const EMOJI_JOIN = String.raw`\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?\u200D(?=\p{Extended_Pictographic})`;
const HIDDEN_CODE_POINTS = new RegExp(`(${EMOJI_JOIN})|${INVISIBLE}`, "gu");

// One variation selector picks a glyph (text or emoji style); a run of them, or one with no character
// to modify, encodes hidden bytes.
const STRAY_VARIATION_SELECTORS = /(?<=[\uFE00-\uFE0F])[\uFE00-\uFE0F]+|(?<=^|\s)[\uFE00-\uFE0F]+/gu;

// An unterminated comment hides everything up to the end, as it does in GitHub's renderer.
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;

export function sanitizeUserText(text: string): string {
  let clean = text
    .replace(/\r\n?/g, "\n") // CommonMark treats a lone \r as a line ending as well
    .replace(HIDDEN_CODE_POINTS, (_match, emojiJoin: string | undefined) => emojiJoin ?? "")
    .replace(STRAY_VARIATION_SELECTORS, "");
  // Removing one comment can join the halves of another ("<!<!-- x -->-- y -->"), so repeat until stable.
  let previous: string;
  do {
    previous = clean;
    clean = clean.replace(HTML_COMMENT, "");
  } while (clean !== previous);
  return clean.trim();
}
