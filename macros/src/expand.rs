//! The expansion: the same function, made synchronous, whose body builds a runtime
//! and runs the original body on it.
//!
//! ```text
//! #[attrs] [#[::core::prelude::v1::test]] vis fn name() -> Output {
//!     #![inner attributes of the body]
//!     let body = async move {
//!         if false { return ::core::option::Option::<Output>::None.unwrap(); }
//!         { original body }
//!     };
//!     krate::Runtime::builder()[.event_interval(n)][.start_paused(b)]
//!         .build()
//!         .expect("...")
//!         .block_on(body)
//! }
//! ```
//!
//! The `return` that never runs names the future's output type before the body is
//! checked: without it a `?` in the body could leave the async block's error type to
//! inference, and a body of the wrong type would be reported on the attribute. With it,
//! the compiler checks the body as it would check a plain function's, and points at the
//! user's expression. The body stays last, so a body that ends in `panic!`
//! leaves no unreachable code of ours behind it (a crate may `forbid(unreachable_code)`).
//! The body keeps its own block, so that items at its top do not follow our statement
//! (`clippy::items_after_statements`), with braces resolved at the call site, so that
//! `unused_braces` does not flag a one-expression body.
//! The `return` is left out when the return type says `impl` (anywhere in it), which
//! cannot be named in a turbofish. Inner attributes at the top of the body
//! (`#![allow(..)]`) move to the top of the generated function, where they still cover
//! the whole function; the compiler refuses them inside an expression.

use proc_macro::{Delimiter, Group, Ident, Literal, Spacing, Span, TokenStream, TokenTree};

use crate::error::{path, punct};
use crate::item::AsyncFn;
use crate::options::Options;

/// Which attribute is expanding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Main,
    Test,
}

pub fn expand(kind: Kind, function: AsyncFn, options: Options) -> TokenStream {
    let call = Span::call_site();
    let mut out = TokenStream::new();
    if kind == Kind::Test {
        out.extend([
            punct('#', Spacing::Alone, call),
            bracketed(path(&["core", "prelude", "v1", "test"], call)),
        ]);
    }
    for (hash, attr) in function.attrs {
        out.extend([hash, attr]);
    }
    out.extend(function.qualifiers);
    out.extend([TokenTree::Ident(function.fn_token), TokenTree::Ident(function.name)]);
    out.extend([TokenTree::Group(function.params)]);
    // `impl Trait` cannot be named in a `let` (`-> !` was refused before we got here).
    // Anywhere in the type: `(impl Debug, u32)` is as unnameable as `impl Debug`.
    let unnameable = mentions_impl(function.output.iter());
    let output: TokenStream = if function.output.is_empty() {
        TokenStream::from(TokenTree::Group(Group::new(Delimiter::Parenthesis, TokenStream::new())))
    } else {
        out.extend([punct('-', Spacing::Joint, call), punct('>', Spacing::Alone, call)]);
        out.extend(function.output.iter().cloned());
        function.output.into_iter().collect()
    };

    // `body` at mixed-site hygiene: the user's code can neither see nor
    // shadow it.
    let body = Ident::new("body", Span::mixed_site());
    let async_span = function.async_token.map_or(call, |a| a.span());
    let (inner_attrs, user_body) = split_inner_attributes(&function.body);
    let mut future = TokenStream::new();
    if unnameable {
        future.extend([TokenTree::Group(user_body)]);
    } else {
        // if false { return ::core::option::Option::<Output>::None.unwrap(); } { original body }
        future.extend([ident("if", call), ident("false", call)]);
        let mut never = TokenStream::from(ident("return", call));
        never.extend(path(&["core", "option", "Option"], call));
        never.extend([punct(':', Spacing::Joint, call), punct(':', Spacing::Alone, call)]);
        never.extend([punct('<', Spacing::Alone, call)]);
        never.extend(output);
        never.extend([punct('>', Spacing::Alone, call)]);
        never.extend([
            punct(':', Spacing::Joint, call),
            punct(':', Spacing::Alone, call),
            ident("None", call),
        ]);
        never.extend([punct('.', Spacing::Alone, call), ident("unwrap", call)]);
        never.extend([TokenTree::Group(Group::new(Delimiter::Parenthesis, TokenStream::new()))]);
        never.extend([punct(';', Spacing::Alone, call)]);
        future.extend([TokenTree::Group(Group::new(Delimiter::Brace, never))]);
        // The body as a block of its own, so that its leading items do not follow our
        // statement (`clippy::items_after_statements`); its braces resolved here, so that
        // `unused_braces` sees generated braces around a one-expression body.
        let mut inner = Group::new(Delimiter::Brace, user_body.stream());
        inner.set_span(user_body.span().resolved_at(call));
        future.extend([TokenTree::Group(inner)]);
        let mut group = Group::new(Delimiter::Brace, future);
        group.set_span(user_body.span());
        future = TokenStream::from(TokenTree::Group(group));
    }
    // #![inner attributes of the body] let body = async move { ... };
    let mut block = inner_attrs;
    block.extend([ident("let", call), TokenTree::Ident(body.clone()), punct('=', Spacing::Alone, call)]);
    block.extend([ident("async", async_span), ident("move", async_span)]);
    block.extend(future);
    block.extend([punct(';', Spacing::Alone, call)]);
    // krate::Runtime::builder()...block_on(body), the block's value
    block.extend(options.krate.unwrap_or_else(|| path(&["wakeful"], call)));
    block.extend(path(&["Runtime", "builder"], call));
    block.extend([TokenTree::Group(Group::new(Delimiter::Parenthesis, TokenStream::new()))]);
    if let Some((polls, span)) = options.event_interval {
        method(
            &mut block,
            "event_interval",
            TokenStream::from(TokenTree::Literal(u32_literal(polls, span))),
            span,
        );
    }
    if let Some((paused, span)) = options.start_paused {
        method(
            &mut block,
            "start_paused",
            TokenStream::from(ident(if paused { "true" } else { "false" }, span)),
            span,
        );
    }
    method(&mut block, "build", TokenStream::new(), call);
    let attribute = if kind == Kind::Main { "#[wakeful::main]" } else { "#[wakeful::test]" };
    let message = format!("{attribute}: cannot build the runtime (the OS refused a file descriptor)");
    method(&mut block, "expect", TokenStream::from(TokenTree::Literal(Literal::string(&message))), call);
    method(&mut block, "block_on", TokenStream::from(TokenTree::Ident(body)), call);

    out.extend([TokenTree::Group(Group::new(Delimiter::Brace, block))]);
    out
}

/// `true` if `impl` appears in `tokens`, inside groups too.
fn mentions_impl<'a>(mut tokens: impl Iterator<Item = &'a TokenTree>) -> bool {
    tokens.any(|token| match token {
        TokenTree::Ident(i) => i.to_string() == "impl",
        TokenTree::Group(g) => mentions_impl(g.stream().into_iter().collect::<Vec<_>>().iter()),
        _ => false,
    })
}

/// The body's leading inner attributes (`#![allow(...)]`, `//!` docs) and the body
/// without them. They apply to the whole function in the original, so they go at the
/// top of the generated function's block; left in the body, which becomes a `let`
/// initializer or an async block, the compiler would refuse them.
fn split_inner_attributes(body: &Group) -> (TokenStream, Group) {
    let tokens: Vec<TokenTree> = body.stream().into_iter().collect();
    let mut start = 0;
    while let [TokenTree::Punct(hash), TokenTree::Punct(bang), TokenTree::Group(attr), ..] = &tokens[start..]
    {
        if hash.as_char() != '#' || bang.as_char() != '!' || attr.delimiter() != Delimiter::Bracket {
            break;
        }
        start += 3;
    }
    if start == 0 {
        return (TokenStream::new(), body.clone());
    }
    let mut rest = Group::new(Delimiter::Brace, tokens[start..].iter().cloned().collect());
    rest.set_span(body.span());
    (tokens[..start].iter().cloned().collect(), rest)
}

fn ident(name: &str, span: Span) -> TokenTree {
    TokenTree::Ident(Ident::new(name, span))
}

fn bracketed(tokens: TokenStream) -> TokenTree {
    TokenTree::Group(Group::new(Delimiter::Bracket, tokens))
}

/// `.name(args)`, spanned at `span`.
fn method(block: &mut TokenStream, name: &str, args: TokenStream, span: Span) {
    let mut args = Group::new(Delimiter::Parenthesis, args);
    args.set_span(span);
    block.extend([punct('.', Spacing::Alone, span), ident(name, span), TokenTree::Group(args)]);
}

fn u32_literal(value: u32, span: Span) -> Literal {
    let mut literal = Literal::u32_suffixed(value);
    literal.set_span(span);
    literal
}
