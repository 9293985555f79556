//! `#[wakeful::main]` and `#[wakeful::test]`: attributes that run an `async fn` on a
//! new wakeful runtime. Use them through the facade (`wakeful::main`,
//! `wakeful::test`), whose docs show every option and every error.
//!
//! The crate has no dependencies: it reads and writes the compiler's own token trees
//! (`proc_macro`), which is all two attributes of this shape need, and builds in a
//! fraction of the time syn and quote take (BENCHMARKS.md has the figures).
//!
//! Files: `options` reads the attribute's arguments, `item` splits the function,
//! `expand` writes the synchronous function, `error` turns a misuse into a
//! `compile_error!` spanned on the offending tokens. The macros never panic: every
//! misuse is one of those errors.

use proc_macro::{Ident, Span, TokenStream, TokenTree};

mod error;
mod expand;
mod item;
mod options;

use error::Error;
use expand::Kind;

/// Runs `async fn main` on a new wakeful runtime. Documented on `wakeful::main`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(Kind::Main, args, item)
}

/// Runs an `async fn` test on a new wakeful runtime. Documented on `wakeful::test`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(Kind::Test, args, item)
}

fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let name = if kind == Kind::Main { "#[wakeful::main]" } else { "#[wakeful::test]" };
    let original = item.clone();
    let mut errors = Vec::new();
    let function = item::parse(item, name).map_err(|e| errors.push(e)).ok();
    let options = options::parse(args).map_err(|e| errors.push(e)).ok();
    if let Some(function) = &function {
        errors.extend(check(kind, name, function));
    }
    match (function, options) {
        (Some(function), Some(options)) if errors.is_empty() => expand::expand(kind, function, options),
        (function, _) => {
            let mut out: TokenStream = errors.iter().map(Error::to_tokens).collect();
            out.extend(fallback(kind, function.map(|f| f.name), original));
            out
        }
    }
}

/// The misuses the parser lets through, as the attribute sees them.
fn check(kind: Kind, name: &str, function: &item::AsyncFn) -> Vec<Error> {
    let mut errors = Vec::new();
    if function.async_token.is_none() {
        let message = format!("{name} goes on an `async fn`: add `async` before `fn`");
        errors.push(Error::new(function.fn_token.span(), message));
    }
    if !function.params.stream().is_empty() {
        let message = match kind {
            Kind::Main => format!(
                "{name} cannot pass arguments to `{}`: remove the parameters (read the command \
                 line with `std::env::args`)",
                function.name
            ),
            Kind::Test => format!("{name} cannot pass arguments to a test: remove the parameters"),
        };
        errors.push(Error::new(function.params.span(), message));
    }
    if let [TokenTree::Punct(never)] = function.output.as_slice() {
        if never.as_char() == '!' {
            // An async block's output cannot be `!` on stable Rust.
            let message =
                format!("{name} cannot wrap a function returning `!`: return `()` and loop in the body");
            errors.push(Error::new(never.span(), message));
        }
    }
    // Without this, `const async fn` is reported as the builder's calls not being const.
    if let Some(constness) =
        function.qualifiers.iter().find(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "const"))
    {
        let message =
            format!("{name} cannot wrap a `const fn`: a runtime cannot run at compile time; remove `const`");
        errors.push(Error::new(constness.span(), message));
    }
    // A second `#[wakeful::main]` (or `#[tokio::main]`) below this one would otherwise
    // see the function this one made and say that `async` is missing.
    if kind == Kind::Main {
        if let Some((hash, attr)) = function.attrs.iter().find(|(_, attr)| item::is_main_attribute(attr)) {
            let message = format!(
                "{name} is on this function twice (or beside another runtime's `main` attribute): \
                 remove this one"
            );
            errors.push(Error::spanning(hash.span(), attr.span(), message));
        }
    }
    if kind == Kind::Test {
        if let Some((hash, attr)) = function.attrs.iter().find(|(_, attr)| item::is_test_attribute(attr)) {
            let message = format!("{name} adds `#[test]` itself: remove this `#[test]`");
            errors.push(Error::spanning(hash.span(), attr.span(), message));
        }
    }
    errors
}

/// What stands in for the function beside an error, so that the error is the only one:
/// an empty `fn main() {}` (else "`main` function not found" follows), the original
/// item for another function under `#[wakeful::main]` (its callers still resolve), and
/// nothing for a test.
fn fallback(kind: Kind, name: Option<Ident>, original: TokenStream) -> TokenStream {
    match (kind, name) {
        (Kind::Test, _) => TokenStream::new(),
        (Kind::Main, Some(name)) if name.to_string() == "main" => {
            let call = Span::call_site();
            let fn_main: TokenStream = "fn main() {}".parse().unwrap_or_default();
            fn_main
                .into_iter()
                .map(|mut t: TokenTree| {
                    t.set_span(call);
                    t
                })
                .collect()
        }
        (Kind::Main, _) => original,
    }
}
