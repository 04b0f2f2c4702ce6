//! Formulas in `x` and `y`: a hand-written recursive-descent parser that
//! compiles once to a postfix tape (constants folded), evaluated over any
//! [`Scalar`] without re-parsing.
//!
//! Grammar (`^` binds tighter than unary minus and is right-associative, so
//! `-x^2 = -(x^2)` and `2^3^2 = 2^9`):
//!
//! ```text
//! expr    := term (('+' | '-') term)*
//! term    := unary (('*' | '/') unary)*
//! unary   := ('-' | '+') unary | power
//! power   := primary ('^' unary)?
//! primary := number | 'x' | 'y' | 'pi' | 'e' | func '(' expr ')' | '(' expr ')'
//! ```

use super::num::Scalar;

/// The longest formula accepted, in characters.
pub const MAX_EXPR_CHARS: usize = 10_000;
/// The deepest nesting accepted (parentheses, function calls, unary signs
/// and powers each count one level).
pub const MAX_DEPTH: usize = 200;

/// Which formula of a custom objective: `h[0]`, `h[1]`, `h_inv[0]`,
/// `h_inv[1]`, or a typed `f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExprName {
    /// A component of `h`.
    H(usize),
    /// A component of the user's `h⁻¹`.
    HInv(usize),
    /// The objective `f` itself, typed as one formula.
    F,
}

impl std::fmt::Display for ExprName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::H(i) => write!(f, "h[{i}]"),
            Self::HInv(i) => write!(f, "h_inv[{i}]"),
            Self::F => write!(f, "f"),
        }
    }
}

/// A function a formula may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Ln,
    Sqrt,
    Abs,
    Tanh,
    Sinh,
    Cosh,
    Atan,
}

impl Func {
    /// Every function, with its name.
    pub const ALL: [(&'static str, Self); 11] = [
        ("sin", Self::Sin),
        ("cos", Self::Cos),
        ("tan", Self::Tan),
        ("exp", Self::Exp),
        ("ln", Self::Ln),
        ("sqrt", Self::Sqrt),
        ("abs", Self::Abs),
        ("tanh", Self::Tanh),
        ("sinh", Self::Sinh),
        ("cosh", Self::Cosh),
        ("atan", Self::Atan),
    ];

    /// The function's value at `v`.
    #[inline]
    pub fn value(self, v: f64) -> f64 {
        match self {
            Self::Sin => v.sin(),
            Self::Cos => v.cos(),
            Self::Tan => v.tan(),
            Self::Exp => v.exp(),
            Self::Ln => v.ln(),
            Self::Sqrt => v.sqrt(),
            Self::Abs => v.abs(),
            Self::Tanh => v.tanh(),
            Self::Sinh => v.sinh(),
            Self::Cosh => v.cosh(),
            Self::Atan => v.atan(),
        }
    }

    /// The value and first derivative at `v`.
    #[inline]
    pub fn derivs1(self, v: f64) -> (f64, f64) {
        match self {
            Self::Sin => {
                let (s, c) = v.sin_cos();
                (s, c)
            }
            Self::Cos => {
                let (s, c) = v.sin_cos();
                (c, -s)
            }
            Self::Exp => {
                let e = v.exp();
                (e, e)
            }
            Self::Sinh => (v.sinh(), v.cosh()),
            Self::Cosh => (v.cosh(), v.sinh()),
            _ => {
                let (a, b, _) = self.derivs2(v);
                (a, b)
            }
        }
    }

    /// The value and first two derivatives at `v`.
    #[inline]
    pub fn derivs2(self, v: f64) -> (f64, f64, f64) {
        match self {
            Self::Sin => {
                let (s, c) = v.sin_cos();
                (s, c, -s)
            }
            Self::Cos => {
                let (s, c) = v.sin_cos();
                (c, -s, -c)
            }
            Self::Tan => {
                let t = v.tan();
                let d = 1.0 + t * t;
                (t, d, 2.0 * t * d)
            }
            Self::Exp => {
                let e = v.exp();
                (e, e, e)
            }
            Self::Ln => (v.ln(), 1.0 / v, -1.0 / (v * v)),
            Self::Sqrt => {
                let r = v.sqrt();
                (r, 0.5 / r, -0.25 / (r * v))
            }
            Self::Abs => (v.abs(), if v < 0.0 { -1.0 } else { 1.0 }, 0.0),
            Self::Tanh => {
                let t = v.tanh();
                let d = 1.0 - t * t;
                (t, d, -2.0 * t * d)
            }
            Self::Sinh => {
                let s = v.sinh();
                (s, v.cosh(), s)
            }
            Self::Cosh => {
                let c = v.cosh();
                (c, v.sinh(), c)
            }
            Self::Atan => {
                let d = 1.0 / (1.0 + v * v);
                (v.atan(), d, -2.0 * v * d * d)
            }
        }
    }
}

/// One instruction of the postfix tape.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Const(f64),
    X,
    Y,
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    /// `^` with a small integer exponent.
    PowI(i32),
    /// `^` with another constant exponent.
    PowC(f64),
    /// `^` with a variable exponent: `exp(b·ln a)`.
    Pow,
    Func(Func),
}

/// Why a formula does not parse.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{expr}, column {column}: {kind}")]
pub struct ParseError {
    /// Which formula.
    pub expr: ExprName,
    /// The 1-based column (in characters) where the problem is.
    pub column: usize,
    /// What the problem is.
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// Two lines for a monospaced display: the formula and a caret under
    /// the column (long formulas are cut around it).
    pub fn caret(&self, source: &str) -> String {
        let chars: Vec<char> = source.chars().collect();
        let at = self.column.saturating_sub(1);
        let start = at.saturating_sub(40);
        let end = (at + 40).min(chars.len());
        let mut line: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
        let mut pad = at - start;
        if start > 0 {
            line.insert(0, '…');
            pad += 1;
        }
        if end < chars.len() {
            line.push('…');
        }
        format!("{line}\n{}^", " ".repeat(pad))
    }
}

/// What is wrong with a formula.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParseErrorKind {
    /// Nothing but spaces.
    #[error("the formula is empty")]
    Empty,
    /// Longer than [`MAX_EXPR_CHARS`].
    #[error("the formula is {0} characters long; at most {MAX_EXPR_CHARS} are accepted")]
    TooLong(usize),
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("the formula nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A character that no token starts with.
    #[error("unexpected character `{0}`")]
    BadChar(char),
    /// A name that is no variable, constant or function.
    #[error(
        "unknown name `{0}`; expected x, y, pi, e or a function: sin cos tan exp ln sqrt abs tanh sinh cosh atan"
    )]
    UnknownName(String),
    /// A function name without `(`.
    #[error("function `{0}` must be followed by `(`")]
    MissingCall(String),
    /// A token where a value was expected.
    #[error("expected a number, x, y, a function or `(`, found {0}")]
    ExpectedValue(String),
    /// A token where an operator or the end was expected.
    #[error("expected an operator (+ - * / ^) or the end, found {0}")]
    ExpectedOperator(String),
    /// A `(` without its `)`.
    #[error("missing `)` (for the `(` at column {0})")]
    Unclosed(usize),
    /// A malformed or out-of-range number.
    #[error("`{0}` is not a finite number")]
    BadNumber(String),
    /// A constant part evaluates to NaN or ±∞.
    #[error("this constant part evaluates to {0}, not a finite number")]
    NonFiniteConstant(f64),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64, String),
    Ident(String),
    Sym(char),
    End,
}

/// `text` cut to 40 characters (an ellipsis marking the cut): names and
/// numbers quoted in one-line messages.
fn quote(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(39).collect();
        out.push('…');
        out
    }
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Self::Num(_, s) => format!("number `{}`", quote(s)),
            Self::Ident(s) => format!("`{}`", quote(s)),
            Self::Sym(c) => format!("`{c}`"),
            Self::End => "the end of the formula".to_owned(),
        }
    }
}

/// A compiled formula in `x` and `y`.
#[derive(Clone, Debug)]
pub struct Expr {
    source: String,
    tape: Vec<Op>,
    max_stack: usize,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// The stack depth up to which evaluation stays on the machine stack.
const INLINE_STACK: usize = 24;

impl Expr {
    /// Parses and compiles `source`; `name` says which formula it is in errors.
    pub fn parse(source: &str, name: ExprName) -> Result<Self, ParseError> {
        let err = |column, kind| ParseError {
            expr: name,
            column,
            kind,
        };
        let n_chars = source.chars().count();
        if n_chars > MAX_EXPR_CHARS {
            return Err(err(1, ParseErrorKind::TooLong(n_chars)));
        }
        let tokens = lex(source).map_err(|(c, k)| err(c, k))?;
        if matches!(tokens.first(), Some((Tok::End, _)) | None) {
            return Err(err(1, ParseErrorKind::Empty));
        }
        let mut p = Parser {
            tokens,
            pos: 0,
            depth: 0,
            tape: Vec::new(),
        };
        p.expr().map_err(|(c, k)| err(c, k))?;
        let (tok, col) = p.peek();
        if *tok != Tok::End {
            let kind = if *tok == Tok::Sym(')') {
                ParseErrorKind::ExpectedOperator("`)` without a matching `(`".to_owned())
            } else {
                ParseErrorKind::ExpectedOperator(tok.describe())
            };
            return Err(err(col, kind));
        }
        let max_stack = stack_depth(&p.tape);
        Ok(Self {
            source: source.to_owned(),
            tape: p.tape,
            max_stack,
        })
    }

    /// The formula as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the formula is a single constant (after folding).
    pub fn is_constant(&self) -> bool {
        matches!(self.tape.as_slice(), [Op::Const(_)])
    }

    /// The number of tape instructions (after constant folding).
    pub fn len(&self) -> usize {
        self.tape.len()
    }

    /// Whether the tape is empty (never, for a parsed formula).
    pub fn is_empty(&self) -> bool {
        self.tape.is_empty()
    }

    /// Evaluates at `(x, y)` over any number type.
    #[inline]
    pub fn eval<T: Scalar>(&self, x: T, y: T) -> T {
        // The stack is zeroed before each evaluation: a smaller one for the
        // usual shallow formulas saves most of that (a hyper-dual is six
        // numbers, and evaluation itself is a few per instruction).
        if self.max_stack <= 8 {
            let mut stack = [T::cst(0.0); 8];
            self.run(x, y, &mut stack)
        } else if self.max_stack <= INLINE_STACK {
            let mut stack = [T::cst(0.0); INLINE_STACK];
            self.run(x, y, &mut stack)
        } else {
            let mut stack = vec![T::cst(0.0); self.max_stack];
            self.run(x, y, &mut stack)
        }
    }

    #[inline]
    fn run<T: Scalar>(&self, x: T, y: T, stack: &mut [T]) -> T {
        // `stack_depth` bounds the stack, so the indexing below stays in range.
        let mut sp = 0usize;
        for op in &self.tape {
            match *op {
                Op::Const(c) => {
                    stack[sp] = T::cst(c);
                    sp += 1;
                }
                Op::X => {
                    stack[sp] = x;
                    sp += 1;
                }
                Op::Y => {
                    stack[sp] = y;
                    sp += 1;
                }
                Op::Neg => stack[sp - 1] = -stack[sp - 1],
                Op::PowI(n) => stack[sp - 1] = stack[sp - 1].powi(n),
                Op::PowC(c) => stack[sp - 1] = stack[sp - 1].powc(c),
                Op::Func(f) => stack[sp - 1] = stack[sp - 1].func(f),
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow => {
                    sp -= 1;
                    let (a, b) = (stack[sp - 1], stack[sp]);
                    stack[sp - 1] = match *op {
                        Op::Add => a + b,
                        Op::Sub => a - b,
                        Op::Mul => a * b,
                        Op::Div => a / b,
                        _ => (b * a.func(Func::Ln)).func(Func::Exp),
                    };
                }
            }
        }
        stack[0]
    }
}

/// The deepest the evaluation stack gets.
fn stack_depth(tape: &[Op]) -> usize {
    let mut sp = 0usize;
    let mut max = 1usize;
    for op in tape {
        match op {
            Op::Const(_) | Op::X | Op::Y => sp += 1,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow => sp = sp.saturating_sub(1),
            _ => {}
        }
        max = max.max(sp);
    }
    max
}

type Fail = (usize, ParseErrorKind);

/// Tokens with their 1-based columns.
fn lex(source: &str) -> Result<Vec<(Tok, usize)>, Fail> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // An exponent only when digits follow: `2e` is not a number.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            let text: String = chars[start..i].iter().collect();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => out.push((Tok::Num(v, text), col)),
                _ => return Err((col, ParseErrorKind::BadNumber(quote(&text)))),
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), col));
        } else if "+-*/^()".contains(c) {
            out.push((Tok::Sym(c), col));
            i += 1;
        } else {
            return Err((col, ParseErrorKind::BadChar(c)));
        }
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

struct Parser {
    tokens: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
    tape: Vec<Op>,
}

impl Parser {
    fn peek(&self) -> (&Tok, usize) {
        // `lex` always ends with `End`, and `bump` never passes it.
        let last = self.tokens.len().saturating_sub(1);
        let (tok, col) = &self.tokens[self.pos.min(last)];
        (tok, *col)
    }

    fn bump(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn enter(&mut self, col: usize) -> Result<(), Fail> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err((col, ParseErrorKind::TooDeep))
        } else {
            Ok(())
        }
    }

    fn expr(&mut self) -> Result<(), Fail> {
        self.left_assoc(&[('+', Op::Add), ('-', Op::Sub)], Self::term)
    }

    fn term(&mut self) -> Result<(), Fail> {
        self.left_assoc(&[('*', Op::Mul), ('/', Op::Div)], Self::unary)
    }

    /// `operand (sym operand)*` with each `sym` one of `ops`, grouped from
    /// the left: each symbol emits its op.
    fn left_assoc(
        &mut self,
        ops: &[(char, Op)],
        operand: fn(&mut Self) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        operand(self)?;
        loop {
            let (tok, col) = self.peek();
            let Some(&(_, op)) = ops.iter().find(|(sym, _)| *tok == Tok::Sym(*sym)) else {
                return Ok(());
            };
            self.bump();
            operand(self)?;
            self.emit_binary(op, col)?;
        }
    }

    fn unary(&mut self) -> Result<(), Fail> {
        let (tok, col) = self.peek();
        let negate = match tok {
            Tok::Sym('-') => true,
            Tok::Sym('+') => false,
            _ => return self.power(),
        };
        self.bump();
        self.enter(col)?;
        self.unary()?;
        self.depth -= 1;
        if negate {
            self.emit_unary(Op::Neg, col)?;
        }
        Ok(())
    }

    fn power(&mut self) -> Result<(), Fail> {
        self.primary()?;
        let (tok, col) = self.peek();
        if *tok == Tok::Sym('^') {
            self.bump();
            self.enter(col)?;
            self.unary()?;
            self.depth -= 1;
            self.emit_binary(Op::Pow, col)?;
        }
        Ok(())
    }

    fn primary(&mut self) -> Result<(), Fail> {
        let (tok, col) = self.peek();
        let tok = tok.clone();
        match tok {
            Tok::Num(v, _) => {
                self.bump();
                self.tape.push(Op::Const(v));
            }
            Tok::Sym('(') => {
                self.bump();
                self.enter(col)?;
                self.expr()?;
                self.depth -= 1;
                self.close(col)?;
            }
            Tok::Ident(name) => {
                self.bump();
                match name.as_str() {
                    "x" => self.tape.push(Op::X),
                    "y" => self.tape.push(Op::Y),
                    "pi" => self.tape.push(Op::Const(std::f64::consts::PI)),
                    "e" => self.tape.push(Op::Const(std::f64::consts::E)),
                    _ => {
                        let Some(&(_, f)) = Func::ALL.iter().find(|(n, _)| *n == name) else {
                            return Err((col, ParseErrorKind::UnknownName(quote(&name))));
                        };
                        let (next, open_col) = self.peek();
                        if *next != Tok::Sym('(') {
                            return Err((open_col, ParseErrorKind::MissingCall(name)));
                        }
                        self.bump();
                        self.enter(open_col)?;
                        self.expr()?;
                        self.depth -= 1;
                        self.close(open_col)?;
                        self.emit_unary(Op::Func(f), col)?;
                    }
                }
            }
            other => return Err((col, ParseErrorKind::ExpectedValue(other.describe()))),
        }
        Ok(())
    }

    fn close(&mut self, open_col: usize) -> Result<(), Fail> {
        let (tok, col) = self.peek();
        if *tok == Tok::Sym(')') {
            self.bump();
            Ok(())
        } else if *tok == Tok::End {
            Err((col, ParseErrorKind::Unclosed(open_col)))
        } else {
            Err((col, ParseErrorKind::ExpectedOperator(tok.describe())))
        }
    }

    fn folded(&mut self, v: f64, col: usize) -> Result<(), Fail> {
        if v.is_finite() {
            self.tape.push(Op::Const(v));
            Ok(())
        } else {
            Err((col, ParseErrorKind::NonFiniteConstant(v)))
        }
    }

    fn emit_unary(&mut self, op: Op, col: usize) -> Result<(), Fail> {
        if let Some(&Op::Const(a)) = self.tape.last() {
            self.tape.pop();
            let v = match op {
                Op::Neg => -a,
                Op::Func(f) => f.value(a),
                _ => unreachable!("emit_unary is only called with Neg and Func"),
            };
            return self.folded(v, col);
        }
        self.tape.push(op);
        Ok(())
    }

    fn emit_binary(&mut self, op: Op, col: usize) -> Result<(), Fail> {
        let n = self.tape.len();
        // A subexpression ending in a constant is that constant alone, so
        // two trailing constants are exactly the two operands.
        if let [.., Op::Const(a), Op::Const(b)] = self.tape[..] {
            self.tape.truncate(n - 2);
            let v = match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
                _ => a.powf(b),
            };
            return self.folded(v, col);
        }
        if op == Op::Pow
            && let Some(&Op::Const(c)) = self.tape.last()
        {
            self.tape.pop();
            let small_int = c.fract() == 0.0 && c.abs() <= 64.0;
            // `c` is an integer of at most 64 in size, so the cast is exact.
            self.tape.push(if small_int {
                Op::PowI(c as i32)
            } else {
                Op::PowC(c)
            });
            return Ok(());
        }
        self.tape.push(op);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Expr, ParseError> {
        Expr::parse(s, ExprName::H(0))
    }

    fn at(s: &str, x: f64, y: f64) -> f64 {
        p(s).unwrap().eval(x, y)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(at("1 + 2*3", 0.0, 0.0), 7.0);
        assert_eq!(at("2^3^2", 0.0, 0.0), 512.0);
        assert_eq!(at("-x^2", 3.0, 0.0), -9.0);
        assert_eq!(at("2^-1", 0.0, 0.0), 0.5);
        assert_eq!(at("8/2/2", 0.0, 0.0), 2.0);
        assert_eq!(at("x - y - 1", 5.0, 2.0), 2.0);
        assert_eq!(at("1e-3*x", 1000.0, 0.0), 1.0);
        assert_eq!(at(".5E+1", 0.0, 0.0), 5.0);
        assert!((at("sin(pi/2) + ln(e)", 0.0, 0.0) - 2.0).abs() < 1e-15);
        assert!((at("x^y", 2.0, 3.0) - 8.0).abs() < 1e-12);
        assert_eq!(at("abs(-x)*+y", -2.0, 3.0), 6.0);
    }

    #[test]
    fn constants_fold_into_one_instruction() {
        let e = p("2*pi^2 + sqrt(4)/2").unwrap();
        assert!(e.is_constant());
        assert_eq!(p("x + 2*3").unwrap().len(), 3);
    }

    #[test]
    fn errors_name_the_formula_and_column() {
        let e = Expr::parse("x + * y", ExprName::HInv(1)).unwrap_err();
        assert_eq!(e.column, 5);
        assert!(
            e.to_string()
                .starts_with("h_inv[1], column 5: expected a number"),
            "{e}"
        );
        assert_eq!(e.caret("x + * y"), "x + * y\n    ^");
        let e = p("foo(x)").unwrap_err();
        assert!(matches!(e.kind, ParseErrorKind::UnknownName(ref n) if n == "foo"));
        assert_eq!(p("sin x").unwrap_err().column, 5);
        let kind = |s: &str| p(s).unwrap_err().kind;
        assert!(matches!(kind("(x + 1"), ParseErrorKind::Unclosed(1)));
        assert!(matches!(kind("x)"), ParseErrorKind::ExpectedOperator(_)));
        assert!(matches!(kind("2x"), ParseErrorKind::ExpectedOperator(_)));
        assert!(matches!(kind("x # 1"), ParseErrorKind::BadChar('#')));
        assert!(matches!(kind("1e999"), ParseErrorKind::BadNumber(_)));
        assert!(matches!(kind("1..2"), ParseErrorKind::BadNumber(_)));
        assert!(matches!(kind("   "), ParseErrorKind::Empty));
        assert!(matches!(kind(""), ParseErrorKind::Empty));
    }

    #[test]
    fn nan_and_infinite_constants_are_refused() {
        for s in ["0/0", "x + 0/0", "ln(0)", "sqrt(-1)*x", "1/0", "10^400"] {
            let e = p(s).unwrap_err();
            assert!(
                matches!(e.kind, ParseErrorKind::NonFiniteConstant(_)),
                "{s}: {e}"
            );
        }
        assert_eq!(p("x + 0/0").unwrap_err().column, 6);
    }

    #[test]
    fn quoted_text_in_errors_is_short() {
        for s in [
            "a".repeat(9_000),
            "9".repeat(9_000),
            format!("x {}", "y".repeat(9_000)),
        ] {
            let e = p(&s).unwrap_err();
            assert!(
                e.to_string().chars().count() < 300,
                "{}",
                e.to_string().len()
            );
        }
    }

    #[test]
    fn hostile_sizes_are_errors_not_stack_overflows() {
        let long = "x+".repeat(50_000) + "x";
        assert!(matches!(
            p(&long).unwrap_err().kind,
            ParseErrorKind::TooLong(100_001)
        ));
        let deep = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(matches!(
            p(&deep).unwrap_err().kind,
            ParseErrorKind::TooLong(_)
        ));
        let deep = format!("{}x{}", "(".repeat(4_000), ")".repeat(4_000));
        assert!(matches!(
            p(&deep).unwrap_err().kind,
            ParseErrorKind::TooDeep
        ));
        let ok = format!("{}x{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(p(&ok).unwrap().eval(2.0, 0.0), 2.0);
        let over = format!(
            "{}x{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let e = p(&over).unwrap_err();
        assert_eq!((e.kind, e.column), (ParseErrorKind::TooDeep, MAX_DEPTH + 1));
        let minus = "-".repeat(5_000) + "x";
        assert!(matches!(
            p(&minus).unwrap_err().kind,
            ParseErrorKind::TooDeep
        ));
        let powers = "x^".repeat(3_000) + "x";
        assert!(matches!(
            p(&powers).unwrap_err().kind,
            ParseErrorKind::TooDeep
        ));
        let funcs = "sin(".repeat(1_000) + "x" + &")".repeat(1_000);
        assert!(matches!(
            p(&funcs).unwrap_err().kind,
            ParseErrorKind::TooDeep
        ));
        // A long flat chain is fine: no recursion, a stack of two.
        let flat = "x+".repeat(4_000) + "x";
        assert_eq!(p(&flat).unwrap().eval(1.0, 0.0), 4001.0);
        // Deep but accepted nesting evaluates on the heap stack.
        let nested = "(x+".repeat(90) + "x" + &")".repeat(90);
        assert_eq!(p(&nested).unwrap().eval(1.0, 0.0), 91.0);
    }
}
