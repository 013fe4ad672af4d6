import type { WhereModel } from './where-models';

/**
 * Xero's `where` query parameter: a small C#-like language (`Name=="Acme" AND Status!="DELETED"`,
 * `Contact.ContactID==Guid("…")`, `Date>=DateTime(2024,01,01)`, `Name.Contains("x")`,
 * `Name.ToLower()=="acme"`, `Reference!=null&&Reference.StartsWith("PO")`), parsed into a predicate
 * over a rendered (Xero JSON) record. `==`/`!=` on strings keep case as Xero's do (xero-facts.md);
 * the string methods (`Contains`, `StartsWith`, …) ignore case here: Xero's documentation does not say.
 *
 * Xero's unkind rules are kept, because a client that passes here must pass against Xero:
 * - a string literal has no escape: a backslash is an ordinary character, so `"a\"b"` ends at the
 *   second quote and what follows is a syntax error — a value holding `"` cannot be written at all;
 * - single quotes make a character literal, which must hold exactly one character;
 * - a field the model does not have is refused (400), never read as "matches nothing";
 * - a method called on a null field (or a field read through a null object) fails the whole
 *   request (500) unless a `X!=null&&…` guard comes first.
 */

type Token =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'ident'; v: string }
  | { t: 'op'; v: string }
  | { t: 'dot' }
  | { t: 'lp' }
  | { t: 'rp' }
  | { t: 'comma' };

/** The clause cannot be parsed: Xero answers 400 QueryParseException with this message. */
export class WhereParseError extends Error {}

/** The clause failed on a record (a method on a null value): Xero answers 500. */
export class WhereEvaluationError extends Error {}

const SYNTAX_ERROR = 'Syntax error';

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new WhereParseError(SYNTAX_ERROR);
      const v = src.slice(i + 1, end);
      if (c === "'" && [...v].length !== 1)
        throw new WhereParseError('Character literal must contain exactly one character');
      out.push({ t: 'str', v });
      i = end + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else if (c === '.') {
      out.push({ t: 'dot' });
      i++;
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
      const m = /^(==|!=|<>|>=|<=|&&|\|\||>|<|=|!)/.exec(src.slice(i));
      if (!m) throw new WhereParseError(SYNTAX_ERROR);
      out.push({ t: 'op', v: m[0] === '=' ? '==' : m[0] === '<>' ? '!=' : m[0] });
      i += m[0].length;
    }
  }
  return out;
}

type DateValue = { date: number };
type Rec = Record<string, unknown>;
type Expr = (record: Rec) => unknown;
export type Predicate = (record: Rec) => boolean;

const MS_DATE = /^\/Date\((-?\d+)/;
const COMPARISONS = new Set(['==', '!=', '>', '<', '>=', '<=']);

function fieldOf(value: unknown, name: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  const obj = value as Rec;
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

const isNull = (v: unknown): v is null | undefined => v === undefined || v === null;
const isDate = (v: unknown): v is DateValue => typeof v === 'object' && v !== null && 'date' in v;

function msOf(v: unknown): number | undefined {
  if (isDate(v)) return v.date;
  const m = typeof v === 'string' ? MS_DATE.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function compare(left: unknown, op: string, right: unknown): boolean {
  if (isNull(left) || isNull(right)) {
    // C# semantics: null equals only null (the simulator counts an empty string as null too).
    const other = isNull(right) ? left : right;
    const empty = isNull(other) || other === '';
    return op === '==' ? empty : op === '!=' ? !empty : false;
  }
  if (isDate(left) || isDate(right)) {
    const l = msOf(left);
    const r = msOf(right);
    return l === undefined || r === undefined ? op === '!=' : cmp(l, r, op);
  }
  if (typeof left === 'string' || typeof right === 'string') {
    // Xero's `==` on strings keeps case (xero-facts.md: `Name=="abc"` does not find "ABC"); ids
    // compare as Guids do, without case.
    const l = String(left);
    const r = String(right);
    return UUID.test(l) && UUID.test(r) ? cmp(l.toLowerCase(), r.toLowerCase(), op) : cmp(l, r, op);
  }
  if (typeof left === 'boolean' || typeof right === 'boolean')
    return op === '==' ? left === right : op === '!=' ? left !== right : false;
  return cmp(Number(left), Number(right), op);
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
      throw new WhereParseError(SYNTAX_ERROR);
  }
}

const STRING_METHODS: Record<string, { args: number; run: (s: string, args: string[]) => unknown }> = {
  contains: { args: 1, run: (s, [a]) => s.toLowerCase().includes(a!.toLowerCase()) },
  startswith: { args: 1, run: (s, [a]) => s.toLowerCase().startsWith(a!.toLowerCase()) },
  endswith: { args: 1, run: (s, [a]) => s.toLowerCase().endsWith(a!.toLowerCase()) },
  equals: { args: 1, run: (s, [a]) => s.toLowerCase() === a!.toLowerCase() },
  tolower: { args: 0, run: (s) => s.toLowerCase() },
  toupper: { args: 0, run: (s) => s.toUpperCase() },
  tostring: { args: 0, run: (s) => s },
  trim: { args: 0, run: (s) => s.trim() },
};

function asText(v: unknown): string {
  return isDate(v) ? String(v.date) : String(v);
}

/**
 * Parses a clause against the model of the records it filters (unknown fields are refused when a
 * model is given). Throws WhereParseError; the predicate throws WhereEvaluationError.
 */
export function parseWhere(src: string, model?: WhereModel): Predicate {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = <K extends Token['t']>(t: K): Extract<Token, { t: K }> => {
    const tok = next();
    if (!tok || tok.t !== t) throw new WhereParseError(SYNTAX_ERROR);
    return tok as Extract<Token, { t: K }>;
  };
  const isWord = (tok: Token | undefined, ...words: string[]) =>
    !!tok && ((tok.t === 'ident' && words.includes(tok.v.toUpperCase())) || (tok.t === 'op' && words.includes(tok.v)));

  function args(): Expr[] {
    expect('lp');
    const out: Expr[] = [];
    if (peek()?.t === 'rp') {
      next();
      return out;
    }
    for (;;) {
      out.push(expr());
      const sep = next();
      if (sep?.t === 'rp') return out;
      if (sep?.t !== 'comma') throw new WhereParseError(SYNTAX_ERROR);
    }
  }

  /** `.Method(…)` calls after a value: a null receiver fails the request, as in C#. */
  function methods(receiver: Expr, typeName: string): Expr {
    let current = receiver;
    while (peek()?.t === 'dot') {
      next();
      const name = expect('ident').v;
      const method = STRING_METHODS[name.toLowerCase()];
      if (!method || peek()?.t !== 'lp')
        throw new WhereParseError(`No applicable method '${name}' exists in type '${typeName}'`);
      const argExprs = args();
      if (argExprs.length !== method.args)
        throw new WhereParseError(`No applicable method '${name}' exists in type '${typeName}'`);
      const target = current;
      current = (r) => {
        const value = target(r);
        if (isNull(value)) throw new WhereEvaluationError(`${name}() called on a null value`);
        return method.run(
          asText(value),
          argExprs.map((a) => asText(a(r) ?? '')),
        );
      };
      typeName = 'String';
    }
    return current;
  }

  /** A field path from the record (`Contact.Name`), checked against the model, then any method calls. */
  function member(first: string): Expr {
    const path: string[] = [];
    let current: WhereModel | undefined = model;
    let typeName = model?.name ?? 'Object';
    let name = first;
    for (;;) {
      if (model) {
        const field = current?.field(name);
        if (!field) throw new WhereParseError(`No property or field '${name}' exists in type '${typeName}'`);
        path.push(field.name);
        current = field.model;
        typeName = field.model?.name ?? 'String';
      } else {
        path.push(name);
      }
      // A dot followed by a call is a method; followed by a name, another field.
      if (peek()?.t === 'dot' && tokens[pos + 1]?.t === 'ident' && tokens[pos + 2]?.t !== 'lp') {
        next();
        name = expect('ident').v;
        continue;
      }
      break;
    }
    const read: Expr = (r) => {
      let value: unknown = r;
      for (const [i, part] of path.entries()) {
        if (i > 0 && isNull(value))
          throw new WhereEvaluationError(`${path.slice(0, i).join('.')} is null where ${part} is read`);
        value = fieldOf(value, part);
      }
      return value;
    };
    return methods(read, typeName);
  }

  function operand(): Expr {
    const tok = next();
    if (!tok) throw new WhereParseError(SYNTAX_ERROR);
    if (tok.t === 'lp') {
      const inner = expr();
      expect('rp');
      return inner;
    }
    if (tok.t === 'str') return methods(() => tok.v, 'String');
    if (tok.t === 'num') return () => tok.v;
    if (tok.t !== 'ident') throw new WhereParseError(SYNTAX_ERROR);
    const word = tok.v.toLowerCase();
    if (word === 'true') return () => true;
    if (word === 'false') return () => false;
    if (word === 'null') return () => null;
    if (word === 'guid' && peek()?.t === 'lp') {
      next();
      const s = expect('str').v;
      expect('rp');
      return () => s;
    }
    if (word === 'datetime' && peek()?.t === 'lp') {
      next();
      const parts: number[] = [];
      for (;;) {
        const n = next();
        if (!n || n.t !== 'num') throw new WhereParseError(SYNTAX_ERROR);
        parts.push(n.v);
        const sep = next();
        if (sep?.t === 'rp') break;
        if (sep?.t !== 'comma') throw new WhereParseError(SYNTAX_ERROR);
      }
      const [y, mo = 1, d = 1, h = 0, mi = 0, s = 0] = parts;
      const date: DateValue = { date: Date.UTC(y ?? 1970, mo - 1, d, h, mi, s) };
      return () => date;
    }
    return member(tok.v);
  }

  function comparison(): Expr {
    const left = operand();
    const op = peek();
    if (op?.t === 'op' && COMPARISONS.has(op.v)) {
      next();
      const right = operand();
      return (r) => compare(left(r), op.v, right(r));
    }
    return left;
  }

  function unary(): Expr {
    if (isWord(peek(), '!', 'NOT')) {
      next();
      const inner = unary();
      return (r) => inner(r) !== true;
    }
    return comparison();
  }

  function conj(): Expr {
    let left = unary();
    while (isWord(peek(), 'AND', '&&')) {
      next();
      const right = unary();
      const l = left;
      left = (r) => l(r) === true && right(r) === true;
    }
    return left;
  }

  function expr(): Expr {
    let left = conj();
    while (isWord(peek(), 'OR', '||')) {
      next();
      const right = conj();
      const l = left;
      left = (r) => l(r) === true || right(r) === true;
    }
    return left;
  }

  const result = expr();
  if (pos !== tokens.length) throw new WhereParseError(SYNTAX_ERROR);
  return (r) => result(r) === true;
}
