/**
 * Xero's `where` query parameter: a small LINQ-like language (`Name=="Acme" AND Status!="DELETED"`,
 * `Contact.ContactID==Guid("…")`, `Date>=DateTime(2024,01,01)`, `Name.Contains("x")`). String
 * comparisons ignore case, as Xero's do. Parsed into a predicate over a rendered (Xero JSON) record.
 */

type Token =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'ident'; v: string }
  | { t: 'op'; v: string }
  | { t: 'lp' }
  | { t: 'rp' }
  | { t: 'comma' };

export class WhereParseError extends Error {}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new WhereParseError('unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else if (/[0-9-]/.test(c) && /[0-9.]/.test(src[i + 1] ?? (c === '-' ? '' : '0'))) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) throw new WhereParseError(`unexpected '${c}'`);
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i))!;
      out.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else if (c === '(') {
      out.push({ t: 'lp' });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp' });
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma' });
      i++;
    } else {
      const m = /^(==|!=|>=|<=|&&|\|\||>|<|=|!)/.exec(src.slice(i));
      if (!m) throw new WhereParseError(`unexpected '${c}'`);
      out.push({ t: 'op', v: m[0] === '=' ? '==' : m[0] });
      i += m[0].length;
    }
  }
  return out;
}

type Value = string | number | boolean | null | { date: number };
export type Predicate = (record: Record<string, unknown>) => boolean;

const MS_DATE = /^\/Date\((-?\d+)/;

function fieldValue(record: Record<string, unknown>, path: string): unknown {
  let cur: unknown = record;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const obj = cur as Record<string, unknown>;
    const key = Object.keys(obj).find((k) => k.toLowerCase() === part.toLowerCase());
    cur = key === undefined ? undefined : obj[key];
  }
  return cur;
}

function compare(left: unknown, op: string, right: Value): boolean {
  if (right !== null && typeof right === 'object') {
    const m = typeof left === 'string' ? MS_DATE.exec(left) : null;
    if (!m) return op === '!=';
    return cmp(Number(m[1]), right.date, op);
  }
  if (right === null)
    return op === '=='
      ? left === undefined || left === null || left === ''
      : !(left === undefined || left === null || left === '');
  if (typeof right === 'string') {
    const l = left === undefined || left === null ? '' : String(left).toLowerCase();
    return cmp(l, right.toLowerCase(), op);
  }
  if (typeof right === 'boolean') return op === '!=' ? left !== right : left === right;
  return cmp(typeof left === 'number' ? left : Number(left), right, op);
}

function cmp<T extends string | number>(a: T, b: T, op: string): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    default:
      throw new WhereParseError(`unknown operator ${op}`);
  }
}

export function parseWhere(src: string): Predicate {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (t: Token['t']) => {
    const tok = next();
    if (!tok || tok.t !== t) throw new WhereParseError(`expected ${t}`);
    return tok;
  };
  const isKeyword = (tok: Token | undefined, ...words: string[]) =>
    !!tok && ((tok.t === 'ident' && words.includes(tok.v.toUpperCase())) || (tok.t === 'op' && words.includes(tok.v)));

  function literal(): Value {
    const tok = next();
    if (!tok) throw new WhereParseError('expected a value');
    if (tok.t === 'str') return tok.v;
    if (tok.t === 'num') return tok.v;
    if (tok.t === 'ident') {
      const word = tok.v.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
      if (word === 'guid') {
        expect('lp');
        const s = expect('str') as { v: string };
        expect('rp');
        return s.v;
      }
      if (word === 'datetime') {
        expect('lp');
        const parts: number[] = [];
        for (;;) {
          const n = next();
          if (!n || n.t !== 'num') throw new WhereParseError('DateTime expects numbers');
          parts.push(n.v);
          const sep = next();
          if (sep?.t === 'rp') break;
          if (sep?.t !== 'comma') throw new WhereParseError('DateTime expects , or )');
        }
        const [y, mo = 1, d = 1, h = 0, mi = 0, s = 0] = parts;
        return { date: Date.UTC(y ?? 1970, mo - 1, d, h, mi, s) };
      }
    }
    throw new WhereParseError('expected a value');
  }

  function clause(): Predicate {
    const tok = peek();
    if (tok?.t === 'lp') {
      next();
      const inner = expr();
      expect('rp');
      return inner;
    }
    if (tok?.t === 'op' && tok.v === '!') {
      next();
      const inner = clause();
      return (r) => !inner(r);
    }
    const ident = expect('ident') as { v: string };
    const methodMatch = /^(.*)\.(Contains|StartsWith|EndsWith)$/i.exec(ident.v);
    if (methodMatch && peek()?.t === 'lp') {
      next();
      const arg = literal();
      expect('rp');
      const path = methodMatch[1]!;
      const method = methodMatch[2]!.toLowerCase();
      const needle = String(arg).toLowerCase();
      return (r) => {
        const v = fieldValue(r, path);
        const s = v === undefined || v === null ? '' : String(v).toLowerCase();
        return method === 'contains'
          ? s.includes(needle)
          : method === 'startswith'
            ? s.startsWith(needle)
            : s.endsWith(needle);
      };
    }
    const op = next();
    if (!op || op.t !== 'op') {
      // A bare boolean field, e.g. `IsCustomer`.
      if (op) pos--;
      return (r) => fieldValue(r, ident.v) === true;
    }
    const value = literal();
    return (r) => compare(fieldValue(r, ident.v), op.v, value);
  }

  function conj(): Predicate {
    let left = clause();
    while (isKeyword(peek(), 'AND', '&&')) {
      next();
      const right = clause();
      const l = left;
      left = (r) => l(r) && right(r);
    }
    return left;
  }

  function expr(): Predicate {
    let left = conj();
    while (isKeyword(peek(), 'OR', '||')) {
      next();
      const right = conj();
      const l = left;
      left = (r) => l(r) || right(r);
    }
    return left;
  }

  const result = expr();
  if (pos !== tokens.length) throw new WhereParseError('unexpected trailing input');
  return result;
}
