//! The attribute's arguments: `crate = "path"`, `event_interval = 31`,
//! `start_paused = true`, and tokio's `flavor` / `worker_threads`, which are refused
//! (or accepted, for `flavor = "current_thread"`) with a reason.

use proc_macro::{Literal, Span, TokenStream, TokenTree};

use crate::error::Error;

/// What the arguments asked for; `None` where they said nothing.
#[derive(Debug, Default)]
pub struct Options {
    /// The path the generated code names the facade by (`::wakeful` by default).
    pub krate: Option<TokenStream>,
    /// `Builder::event_interval`'s argument, with the literal's span.
    pub event_interval: Option<(u32, Span)>,
    /// `Builder::start_paused`'s argument, with the literal's span.
    pub start_paused: Option<(bool, Span)>,
}

const KNOWN: &str = "`crate`, `event_interval`, `flavor` or `start_paused`";

/// Parses `key = value, ...`; the first misuse found is the error.
pub fn parse(args: TokenStream) -> Result<Options, Error> {
    let mut options = Options::default();
    let mut seen: Vec<String> = Vec::new();
    let tokens: Vec<TokenTree> = args.into_iter().collect();
    for option in tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
        let Some(first) = option.first() else {
            continue; // a trailing comma (or nothing at all)
        };
        let TokenTree::Ident(key) = first else {
            return Err(Error::new(first.span(), "expected an option such as `event_interval = 31`"));
        };
        let name = key.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_string();
        if !matches!(name.as_str(), "crate" | "event_interval" | "start_paused" | "flavor" | "worker_threads")
        {
            return Err(Error::new(key.span(), format!("unknown option `{name}`; expected {KNOWN}")));
        }
        if seen.contains(&name) {
            return Err(Error::new(key.span(), format!("duplicate option `{name}`")));
        }
        seen.push(name.clone());
        let value = match option.get(1) {
            None => {
                return Err(Error::new(
                    key.span(),
                    format!("option `{name}` needs a value: {}", example(&name)),
                ))
            }
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => match &option[2..] {
                [] => {
                    let message = format!("option `{name}` needs a value after `=`: {}", example(&name));
                    return Err(Error::new(p.span(), message));
                }
                [value] => value,
                [first, .., last] => {
                    let message = format!("option `{name}` takes one value: {}", example(&name));
                    return Err(Error::spanning(first.span(), last.span(), message));
                }
            },
            Some(other) => {
                let message = format!("expected `=` after `{name}`: {}", example(&name));
                return Err(Error::new(other.span(), message));
            }
        };
        match name.as_str() {
            "crate" => options.krate = Some(crate_path(value)?),
            "event_interval" => options.event_interval = Some((event_interval(value)?, value.span())),
            "start_paused" => options.start_paused = Some((boolean(&name, value)?, value.span())),
            "flavor" => flavor(value)?,
            _ => return Err(worker_threads(key.span(), value.span())),
        }
    }
    Ok(options)
}

/// How the option is written, for the messages.
fn example(name: &str) -> &'static str {
    match name {
        "crate" => "`crate = \"my_crate::wakeful\"`",
        "event_interval" => "`event_interval = 31`",
        "start_paused" => "`start_paused = true`",
        "flavor" => "`flavor = \"current_thread\"`",
        _ => "`worker_threads = 1`",
    }
}

fn worker_threads(key: Span, value: Span) -> Error {
    Error::spanning(
        key,
        value,
        "`worker_threads` has no meaning in wakeful: a runtime runs its tasks on the one thread \
         that calls it (to use several cores, run one runtime per thread); remove this option",
    )
}

fn flavor(value: &TokenTree) -> Result<(), Error> {
    match string(value).as_deref() {
        Some("current_thread") => Ok(()),
        Some("multi_thread") => Err(Error::new(
            value.span(),
            "`flavor = \"multi_thread\"` is not available: a wakeful runtime is single-threaded \
             (to use several cores, run one runtime per thread); remove this option",
        )),
        _ => Err(Error::new(value.span(), "`flavor` takes \"current_thread\" (the only flavor wakeful has)")),
    }
}

fn boolean(name: &str, value: &TokenTree) -> Result<bool, Error> {
    match value {
        TokenTree::Ident(ident) if ident.to_string() == "true" => Ok(true),
        TokenTree::Ident(ident) if ident.to_string() == "false" => Ok(false),
        _ => Err(Error::new(
            value.span(),
            format!("`{name}` takes `true` or `false`, as in {}", example(name)),
        )),
    }
}

fn event_interval(value: &TokenTree) -> Result<u32, Error> {
    let wrong =
        |why: &str| Error::new(value.span(), format!("`event_interval` {why}, as in `event_interval = 31`"));
    let TokenTree::Literal(literal) = value else {
        return Err(wrong("takes an integer literal"));
    };
    match integer(literal) {
        Some(0) => Err(wrong("is a number of polls and must be at least 1")),
        Some(n) => u32::try_from(n).map_err(|_| wrong("must fit in a u32")),
        None => Err(wrong("takes an integer literal")),
    }
}

/// The value of an integer literal (`31`, `1_000`, `0x1f`, `31u32`), `None` for any
/// other literal; a value beyond `u128` comes back as `u128::MAX`, too large anyway.
fn integer(literal: &Literal) -> Option<u128> {
    let text = literal.to_string().replace('_', "");
    let (radix, digits) = match text.get(..2) {
        Some("0x") => (16, &text[2..]),
        Some("0o") => (8, &text[2..]),
        Some("0b") => (2, &text[2..]),
        _ => (10, text.as_str()),
    };
    let suffixes = ["u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize"];
    let digits = suffixes.iter().find_map(|s| digits.strip_suffix(s)).unwrap_or(digits);
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None; // a float, a string, a char, a byte...
    }
    Some(u128::from_str_radix(digits, radix).unwrap_or(u128::MAX))
}

/// The contents of a plain or raw string literal without escapes; `None` otherwise.
fn string(value: &TokenTree) -> Option<String> {
    let TokenTree::Literal(literal) = value else {
        return None;
    };
    let text = literal.to_string();
    if let Some(raw) = text.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let inner = raw.get(hashes + 1..raw.len().checked_sub(hashes + 1)?)?;
        return raw[hashes..].starts_with('"').then(|| inner.to_string());
    }
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then(|| inner.to_string())
}

/// `crate = "a::b"`: the path's tokens, spanned on the string so that a wrong path is
/// reported there.
fn crate_path(value: &TokenTree) -> Result<TokenStream, Error> {
    let wrong = || {
        Error::new(value.span(), "`crate` takes a path in a string, as in `crate = \"my_crate::wakeful\"`")
    };
    let text = string(value).ok_or_else(wrong)?;
    let tokens: TokenStream = text.parse().map_err(|_| wrong())?;
    let mut path = TokenStream::new();
    let mut expect_segment = true;
    let mut colons = 0;
    for (i, mut token) in tokens.into_iter().enumerate() {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ':' && (i == 0 || !expect_segment || colons == 1) => {
                colons += 1;
                if colons == 2 {
                    (colons, expect_segment) = (0, true);
                }
            }
            TokenTree::Ident(_) if expect_segment && colons == 0 => expect_segment = false,
            _ => return Err(wrong()),
        }
        token.set_span(value.span());
        path.extend([token]);
    }
    if expect_segment || colons != 0 {
        return Err(wrong());
    }
    Ok(path)
}
