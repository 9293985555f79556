//! Errors as `compile_error!` invocations spanned on the tokens they are about.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// A misuse of an attribute: a message and the tokens it points at (first and last).
#[derive(Debug)]
pub struct Error {
    start: Span,
    end: Span,
    message: String,
}

impl Error {
    /// An error pointing at one token.
    pub fn new(span: Span, message: impl Into<String>) -> Error {
        Error { start: span, end: span, message: message.into() }
    }

    /// An error pointing from `start` to `end` (the compiler joins the two spans when
    /// they are in the same file, as it does for any macro invocation).
    pub fn spanning(start: Span, end: Span, message: impl Into<String>) -> Error {
        Error { start, end, message: message.into() }
    }

    /// `::core::compile_error! { "message" }`: the path and `!` carry the start span,
    /// the braces the end span, so the error underlines the offending tokens.
    pub fn to_tokens(&self) -> TokenStream {
        let mut message = Literal::string(&self.message);
        message.set_span(self.end);
        let mut body = Group::new(Delimiter::Brace, TokenStream::from(TokenTree::Literal(message)));
        body.set_span(self.end);
        let mut tokens = path(&["core", "compile_error"], self.start);
        tokens.extend([punct('!', Spacing::Alone, self.start), TokenTree::Group(body)]);
        tokens
    }
}

/// `::a::b::c`, every token spanned at `span`.
pub fn path(segments: &[&str], span: Span) -> TokenStream {
    let mut tokens = TokenStream::new();
    for segment in segments {
        tokens.extend([punct(':', Spacing::Joint, span), punct(':', Spacing::Alone, span)]);
        tokens.extend([TokenTree::Ident(Ident::new(segment, span))]);
    }
    tokens
}

/// One punctuation token at `span`.
pub fn punct(ch: char, spacing: Spacing, span: Span) -> TokenTree {
    let mut punct = Punct::new(ch, spacing);
    punct.set_span(span);
    TokenTree::Punct(punct)
}
