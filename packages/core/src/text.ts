/** U+FEFF, which some editors write at the start of a UTF-8 file (the bytes EF BB BF). */
const BYTE_ORDER_MARK = 0xfeff;

/** The text without a leading byte order mark; call it on the start of a file only (U+FEFF elsewhere is content). */
export function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
}
