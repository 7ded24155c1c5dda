// Amounts and the form rules the API applies, with the API's own messages,
// so a form can refuse a value before sending it. Money stays in integer
// stroops (BigInt); nothing here uses floating point.

export const STROOPS = 10_000_000n;
export const DECIMALS = 7;

const kale = (whole) => BigInt(whole) * STROOPS;

// The limits of each request type, in stroops (SPEC §4; faucet: devnet only).
export const LIMITS = {
  plant: { min: STROOPS / 10n, max: kale(1000) },
  store: { min: STROOPS / 10n, max: kale(1000) },
  wager: { min: STROOPS / 10n, max: kale(10000) },
  faucet: { min: 1n, max: kale(10000) },
};

// "1000000" stroops → "0.1000000", as the API prints amounts.
export function formatStroops(v) {
  const neg = v < 0n;
  const mag = neg ? -v : v;
  const frac = String(mag % STROOPS).padStart(DECIMALS, '0');
  return `${neg ? '-' : ''}${mag / STROOPS}.${frac}`;
}

// Parses a request amount: returns {ok: true, stroops} or {ok: false, message}
// with the message the API gives for the same text.
export function parseAmount(text, field, { min, max }) {
  const fail = (message) => ({ ok: false, message });
  if (text === '') return fail(`${field} is empty: give an amount in KALE such as "12.5"`);
  if (text[0] === '-' || text[0] === '+') return fail(`${field} must not carry a sign: give a positive amount such as "12.5"`);
  let intDigits = 0;
  let fracDigits = 0;
  let point = false;
  for (const c of text) {
    if (c >= '0' && c <= '9') {
      if (point) {
        if (++fracDigits > DECIMALS) return fail(`${field} has more than 7 decimals: the smallest unit is 0.0000001 KALE`);
      } else {
        intDigits++;
      }
    } else if (c === '.' && !point) {
      point = true;
    } else if (c === 'e' || c === 'E') {
      return fail(`${field} must be a plain decimal without an exponent, such as "1500"`);
    } else {
      return fail(`${field} is not a decimal number: use digits and at most one point, such as "12.5"`);
    }
  }
  if (intDigits === 0 || (point && fracDigits === 0)) {
    return fail(`${field} is not a decimal number: write digits on both sides of the point, such as "0.5"`);
  }
  const [whole, frac = ''] = text.split('.');
  const v = BigInt(whole) * STROOPS + BigInt(frac.padEnd(DECIMALS, '0'));
  if (v === 0n) return fail(`${field} must be greater than zero`);
  if (v > max) return fail(`${field} is above the maximum of ${formatStroops(max)} KALE`);
  if (v < min) return fail(`${field} is below the minimum of ${formatStroops(min)} KALE`);
  return { ok: true, stroops: v };
}

// An API amount ("1234.5000000") for people: thousands grouped, trailing
// zeros dropped but at least two decimals kept.
export function displayAmount(s) {
  if (s === null || s === undefined || s === '') return '—';
  const text = String(s);
  const neg = text.startsWith('-');
  const [whole, frac = ''] = (neg ? text.slice(1) : text).split('.');
  let f = frac.replace(/0+$/, '');
  if (f.length < 2) f = f.padEnd(2, '0');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '−' : ''}${grouped}.${f}`;
}

// An API amount as stroops (for sums and comparisons); null when absent.
export function toStroops(s) {
  if (s === null || s === undefined || s === '') return null;
  const text = String(s);
  const neg = text.startsWith('-');
  const [whole, frac = ''] = (neg ? text.slice(1) : text).split('.');
  const v = BigInt(whole) * STROOPS + BigInt(frac.padEnd(DECIMALS, '0').slice(0, DECIMALS));
  return neg ? -v : v;
}

// The API's username and password rules, with its messages.
export function checkUsername(u) {
  if (u.length < 3 || u.length > 32) return 'username must be 3 to 32 characters';
  if (!/^[a-z0-9_]+$/.test(u)) return 'username may only contain a-z, 0-9 and _';
  return null;
}

export function checkPassword(p) {
  if (new TextEncoder().encode(p).length > 1024) return 'password must be at most 256 characters';
  // Control characters (C0, DEL, C1) and lone surrogates, which are not UTF-8.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(p) || !p.isWellFormed()) {
    return 'password must be valid UTF-8 text without control characters';
  }
  const chars = [...p].length;
  if (chars < 10 || chars > 256) return 'password must be 10 to 256 characters';
  return null;
}
