// A parser for protobuf text format (as printed for GraphDef and RunMetadata
// messages): nested messages, repeated fields, quoted strings with C-style
// escapes, numbers, booleans and enum names. Without the schema every field
// is kept as a list of values in the order it appeared.

export type PbScalar = string | number | boolean;
export type PbValue = PbScalar | PbMessage;
export interface PbMessage {
  [field: string]: PbValue[];
}

export class PbTextError extends Error {}

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string };

const utf8 = new TextDecoder('utf-8');

/** Decodes the body of a quoted string: escapes give bytes, read as UTF-8. */
function unescape(body: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      const code = body.charCodeAt(i);
      if (code < 0x80) bytes.push(code);
      else {
        // Raw non-ASCII text: keep its UTF-8 bytes (surrogate pairs whole).
        const cp = body.codePointAt(i)!;
        const s = String.fromCodePoint(cp);
        for (const b of enc.encode(s)) bytes.push(b);
        i += s.length - 1;
      }
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'n': bytes.push(10); break;
      case 'r': bytes.push(13); break;
      case 't': bytes.push(9); break;
      case 'a': bytes.push(7); break;
      case 'b': bytes.push(8); break;
      case 'f': bytes.push(12); break;
      case 'v': bytes.push(11); break;
      case 'x': {
        let j = i + 1;
        while (j < body.length && j < i + 3 && /[0-9a-fA-F]/.test(body[j])) j++;
        bytes.push(parseInt(body.slice(i + 1, j), 16) || 0);
        i = j - 1;
        break;
      }
      default:
        if (e !== undefined && e >= '0' && e <= '7') {
          let j = i;
          while (j < body.length && j < i + 3 && body[j] >= '0' && body[j] <= '7') j++;
          bytes.push(parseInt(body.slice(i, j), 8) & 0xff);
          i = j - 1;
        } else if (e !== undefined) {
          bytes.push(e.charCodeAt(0) & 0xff);
        }
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let prevString = false;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c) {
        if (text[j] === '\\') j++;
        if (text[j] === '\n') throw new PbTextError(`unterminated string at offset ${i}`);
        j++;
      }
      if (j >= n) throw new PbTextError(`unterminated string at offset ${i}`);
      const s = unescape(text.slice(i + 1, j));
      i = j + 1;
      // Adjacent string literals are concatenated.
      const prev = out[out.length - 1];
      if (prevString && prev && prev.kind === 'string') prev.text += s;
      else out.push({ kind: 'string', text: s });
      prevString = true;
      continue;
    } else if (/[-+0-9.]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9a-zA-Z_.+-]/.test(text[j])) {
        // A sign only after an exponent marker.
        if ((text[j] === '-' || text[j] === '+') && !/[eE]/.test(text[j - 1])) break;
        j++;
      }
      out.push({ kind: 'number', text: text.slice(i, j) });
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_.]/.test(text[j])) j++;
      out.push({ kind: 'ident', text: text.slice(i, j) });
      i = j;
    } else if ('{}<>:;,[]'.includes(c)) {
      out.push({ kind: 'punct', text: c });
      i++;
    } else {
      throw new PbTextError(`unexpected character ${JSON.stringify(c)} at offset ${i}`);
    }
    prevString = false;
  }
  return out;
}

function parseNumber(t: string): number {
  const lower = t.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan' || lower === '-nan') return NaN;
  const s = lower.replace(/[fu]$/, '').replace(/l+$/, '');
  if (/^-?0x[0-9a-f]+$/.test(s)) return s.startsWith('-') ? -parseInt(s.slice(3), 16) : parseInt(s.slice(2), 16);
  if (/^-?0[0-7]+$/.test(s)) return s.startsWith('-') ? -parseInt(s.slice(2), 8) : parseInt(s.slice(1), 8);
  const v = Number(s);
  if (Number.isNaN(v)) throw new PbTextError(`bad number ${t}`);
  return v;
}

/** Parses a text-format message. Throws PbTextError on malformed input. */
export function parsePbText(text: string): PbMessage {
  const toks = tokenize(text);
  let pos = 0;

  const add = (msg: PbMessage, key: string, v: PbValue) => {
    (msg[key] ??= []).push(v);
  };

  function scalar(): PbScalar {
    const t = toks[pos++];
    if (!t) throw new PbTextError('unexpected end of input');
    if (t.kind === 'string') return t.text;
    if (t.kind === 'number') return parseNumber(t.text);
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'True' || t.text === 't') return true;
      if (t.text === 'false' || t.text === 'False' || t.text === 'f') return false;
      const l = t.text.toLowerCase();
      if (l === 'inf' || l === 'infinity' || l === 'nan') return parseNumber(t.text);
      return t.text;
    }
    throw new PbTextError(`unexpected '${t.text}'`);
  }

  function body(close: string | null): PbMessage {
    const msg: PbMessage = {};
    for (;;) {
      const t = toks[pos];
      if (!t) {
        if (close === null) return msg;
        throw new PbTextError(`missing '${close}'`);
      }
      if (t.kind === 'punct' && t.text === close) {
        pos++;
        return msg;
      }
      if (t.kind === 'punct' && (t.text === ';' || t.text === ',')) {
        pos++;
        continue;
      }
      let key: string;
      if (t.kind === 'ident') {
        key = t.text;
        pos++;
      } else if (t.kind === 'punct' && t.text === '[') {
        // Extension or Any type URL: [name]
        let j = pos + 1;
        const parts: string[] = [];
        while (toks[j] && !(toks[j].kind === 'punct' && toks[j].text === ']')) parts.push(toks[j++].text);
        key = `[${parts.join('')}]`;
        pos = j + 1;
      } else {
        throw new PbTextError(`expected a field name, got '${t.text}'`);
      }
      let nt = toks[pos];
      let colon = false;
      if (nt && nt.kind === 'punct' && nt.text === ':') {
        colon = true;
        pos++;
        nt = toks[pos];
      }
      if (nt && nt.kind === 'punct' && (nt.text === '{' || nt.text === '<')) {
        pos++;
        add(msg, key, body(nt.text === '{' ? '}' : '>'));
      } else if (nt && nt.kind === 'punct' && nt.text === '[' && colon) {
        // Short-hand repeated list: key: [a, b, {..}]
        pos++;
        while (toks[pos] && !(toks[pos].kind === 'punct' && toks[pos].text === ']')) {
          const x = toks[pos];
          if (x.kind === 'punct' && x.text === ',') {
            pos++;
          } else if (x.kind === 'punct' && (x.text === '{' || x.text === '<')) {
            pos++;
            add(msg, key, body(x.text === '{' ? '}' : '>'));
          } else {
            add(msg, key, scalar());
          }
        }
        pos++;
      } else if (colon) {
        add(msg, key, scalar());
      } else {
        throw new PbTextError(`expected ':' or '{' after ${key}`);
      }
    }
  }

  return body(null);
}

/** The first value of a field, if any. */
export function pbFirst(msg: PbMessage | undefined, field: string): PbValue | undefined {
  return msg?.[field]?.[0];
}

export function pbMsg(msg: PbMessage | undefined, field: string): PbMessage | undefined {
  const v = pbFirst(msg, field);
  return isPbMessage(v) ? v : undefined;
}

export function pbMsgs(msg: PbMessage | undefined, field: string): PbMessage[] {
  return (msg?.[field] ?? []).filter(isPbMessage);
}

export function pbStr(msg: PbMessage | undefined, field: string, dflt = ''): string {
  const v = pbFirst(msg, field);
  return v === undefined || isPbMessage(v) ? dflt : String(v);
}

export function pbStrs(msg: PbMessage | undefined, field: string): string[] {
  return (msg?.[field] ?? []).filter((v) => !isPbMessage(v)).map(String);
}

export function pbNum(msg: PbMessage | undefined, field: string, dflt = 0): number {
  const v = pbFirst(msg, field);
  return typeof v === 'number' ? v : dflt;
}

export function isPbMessage(v: PbValue | undefined): v is PbMessage {
  return typeof v === 'object' && v !== null;
}
