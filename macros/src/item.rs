//! The function the attribute is on, split into the parts the expansion rebuilds:
//! attributes, the signature before `fn`, the name, the parameters, the return type
//! and the body, each with its original tokens and spans.

use proc_macro::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};

use crate::error::Error;

/// An `async fn` with no generics, no where-clause, and a body.
#[derive(Debug)]
pub struct AsyncFn {
    /// `#[...]` attributes (doc comments arrive as `#[doc = "..."]`), in order.
    pub attrs: Vec<(TokenTree, TokenTree)>,
    /// Visibility and qualifiers other than `async` (`pub`, `pub(crate)`, `unsafe`...).
    pub qualifiers: Vec<TokenTree>,
    /// The `async` keyword, kept for its span.
    pub async_token: Option<Ident>,
    /// The `fn` keyword.
    pub fn_token: Ident,
    pub name: Ident,
    /// The parenthesized parameters.
    pub params: Group,
    /// The tokens after `->`, empty for `()`.
    pub output: Vec<TokenTree>,
    /// The `{ ... }` body, spans untouched.
    pub body: Group,
}

/// Splits `item` into an [`AsyncFn`]; an error names the first part that is not what
/// the attribute can wrap. `async` may be missing: the caller says what that means.
pub fn parse(item: TokenStream, attribute: &str) -> Result<AsyncFn, Error> {
    let mut tokens = item.into_iter().peekable();
    // Underlines the item from its first token (after the attributes) to `span`.
    let mut first: Option<Span> = None;
    let not_a_fn = |first: Option<Span>, span: Span| {
        Error::spanning(first.unwrap_or(span), span, format!("{attribute} goes on an `async fn`"))
    };

    let mut attrs = Vec::new();
    while let Some(TokenTree::Punct(p)) = tokens.peek() {
        if p.as_char() != '#' {
            break;
        }
        let hash = tokens.next().expect("peeked");
        match tokens.next() {
            Some(group @ TokenTree::Group(_)) => attrs.push((hash, group)),
            Some(other) => return Err(not_a_fn(None, other.span())),
            None => return Err(not_a_fn(None, hash.span())),
        }
    }

    let mut qualifiers = Vec::new();
    let mut async_token = None;
    let fn_token = loop {
        let token = tokens.next();
        first = first.or(token.as_ref().map(TokenTree::span));
        match token {
            Some(TokenTree::Ident(ident)) if ident.to_string() == "fn" => break ident,
            Some(TokenTree::Ident(ident)) if ident.to_string() == "async" => async_token = Some(ident),
            // `pub`, `pub(crate)`, `const`, `unsafe`, `extern "C"`: kept for the compiler to judge.
            Some(token @ (TokenTree::Ident(_) | TokenTree::Group(_) | TokenTree::Literal(_))) => {
                qualifiers.push(token)
            }
            Some(other) => return Err(not_a_fn(first, other.span())),
            None => return Err(not_a_fn(first, first.unwrap_or_else(Span::call_site))),
        }
    };

    let name = match tokens.next() {
        Some(TokenTree::Ident(name)) => name,
        other => return Err(not_a_fn(first, other.map_or(fn_token.span(), |t| t.span()))),
    };

    let params = match tokens.next() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => g,
        Some(TokenTree::Punct(p)) if p.as_char() == '<' => {
            let message = format!(
                "{attribute} cannot wrap a generic function: the runtime needs one concrete \
                 future to run; remove the generic parameters"
            );
            return Err(Error::new(p.span(), message));
        }
        other => return Err(not_a_fn(first, other.map_or(name.span(), |t| t.span()))),
    };

    // The rest: `-> Type` (any tokens), then the body, which is the last token.
    let mut rest: Vec<TokenTree> = tokens.collect();
    // A `$body:block` of a `macro_rules!` arrives inside an invisible group.
    if let Some(TokenTree::Group(group)) = rest.last() {
        if let Some(body @ TokenTree::Group(_)) = unwrap_invisible(group) {
            *rest.last_mut().expect("not empty") = body;
        }
    }
    let Some((TokenTree::Group(body), signature)) = rest.split_last() else {
        let span = rest.last().map_or(params.span(), |t| t.span());
        return Err(Error::new(span, format!("{attribute} needs a function with a body")));
    };
    if body.delimiter() != Delimiter::Brace {
        return Err(Error::new(body.span(), format!("{attribute} needs a function with a body")));
    }
    if let Some(where_token) =
        signature.iter().find(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "where"))
    {
        let message = format!("{attribute} cannot wrap a function with a where-clause; remove it");
        return Err(Error::spanning(where_token.span(), signature[signature.len() - 1].span(), message));
    }
    let output = match signature {
        [] => Vec::new(),
        [TokenTree::Punct(dash), TokenTree::Punct(gt), ty @ ..]
            if dash.as_char() == '-' && gt.as_char() == '>' && !ty.is_empty() =>
        {
            ty.to_vec()
        }
        [token, ..] => return Err(not_a_fn(first, token.span())),
    };

    Ok(AsyncFn { attrs, qualifiers, async_token, fn_token, name, params, output, body: body.clone() })
}

/// The brace group inside a `Delimiter::None` group holding only that, as a
/// `macro_rules!` block fragment is passed; `None` for anything else.
fn unwrap_invisible(group: &Group) -> Option<TokenTree> {
    if group.delimiter() != Delimiter::None {
        return None;
    }
    let mut inner = group.stream().into_iter();
    match (inner.next(), inner.next()) {
        (Some(TokenTree::Group(body)), None) if body.delimiter() == Delimiter::Brace => {
            Some(TokenTree::Group(body))
        }
        (Some(TokenTree::Group(nested)), None) => unwrap_invisible(&nested),
        _ => None,
    }
}

/// `true` if the attribute is `#[test]` (or a path ending in `test`, as
/// `#[core::prelude::v1::test]`), which `#[wakeful::test]` adds itself.
pub fn is_test_attribute(group: &TokenTree) -> bool {
    is_path_ending_in(group, "test", 1)
}

/// `true` if the attribute is a path of two segments or more ending in `main`
/// (`#[wakeful::main]`, `#[tokio::main]`): another runtime attribute.
pub fn is_main_attribute(group: &TokenTree) -> bool {
    is_path_ending_in(group, "main", 2)
}

/// `true` if the attribute is a bare path of at least `segments` segments whose last
/// one is `last`.
fn is_path_ending_in(group: &TokenTree, last: &str, segments: usize) -> bool {
    let TokenTree::Group(group) = group else {
        return false;
    };
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    matches!(tokens.last(), Some(TokenTree::Ident(i)) if i.to_string() == last)
        && tokens.iter().filter(|t| matches!(t, TokenTree::Ident(_))).count() >= segments
        && tokens.iter().all(|t| match t {
            TokenTree::Ident(_) => true,
            TokenTree::Punct(p) => p.as_char() == ':',
            _ => false,
        })
}
