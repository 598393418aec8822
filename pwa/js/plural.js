// Plural forms: gettext's Plural-Forms rule of a catalog, evaluated without eval (the app's CSP forbids it).

/**
 * Compile gettext's Plural-Forms expression (C syntax: `n`, integers, `! % * / + - < <= > >= == != && || ?:`
 * and parentheses) into a function of n, without `eval` (forbidden by the app's CSP). Anything else: null.
 */
export function compilePlural(expression) {
  const tokens = String(expression).match(/\d+|n|&&|\|\||[<>=!]=|[-+*/%<>!?:()]|\S/g) || [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (token) => (tokens[at] === token ? (at += 1, true) : false);
  const binary = (next, operators) => () => {
    let left = next();
    for (let op = peek(); operators[op]; op = peek()) {
      at += 1;
      const [a, b, apply] = [left, next(), operators[op]];
      left = (n) => apply(a(n), b(n));
    }
    return left;
  };
  const toInt = (value) => (typeof value === "boolean" ? Number(value) : value);
  function primary() {
    const token = tokens[at++];
    if (token === "n") return (n) => n;
    if (/^\d+$/.test(token || "")) return () => Number(token);
    if (token === "!") { const inner = primary(); return (n) => Number(!toInt(inner(n))); }
    if (token === "-") { const inner = primary(); return (n) => -toInt(inner(n)); }
    if (token === "(") { const inner = conditional(); if (!take(")")) throw new Error("')'"); return inner; }
    throw new Error(`unexpected ${token}`);
  }
  const int = (f) => (a, b) => toInt(f(toInt(a), toInt(b)));
  const product = binary(primary, { "*": int((a, b) => a * b), "/": int((a, b) => Math.trunc(a / b)),
    "%": int((a, b) => a % b) });
  const sum = binary(product, { "+": int((a, b) => a + b), "-": int((a, b) => a - b) });
  const relation = binary(sum, { "<": int((a, b) => Number(a < b)), ">": int((a, b) => Number(a > b)),
    "<=": int((a, b) => Number(a <= b)), ">=": int((a, b) => Number(a >= b)) });
  const equality = binary(relation, { "==": int((a, b) => Number(a === b)), "!=": int((a, b) => Number(a !== b)) });
  const and = binary(equality, { "&&": int((a, b) => Number(Boolean(a) && Boolean(b))) });
  const or = binary(and, { "||": int((a, b) => Number(Boolean(a) || Boolean(b))) });
  function conditional() {
    const test = or();
    if (!take("?")) return test;
    const yes = conditional();
    if (!take(":")) throw new Error("':'");
    const no = conditional();
    return (n) => (toInt(test(n)) ? yes(n) : no(n));
  }
  try {
    const rule = conditional();
    return at === tokens.length ? (n) => toInt(rule(n)) : null;
  } catch {
    return null;
  }
}
