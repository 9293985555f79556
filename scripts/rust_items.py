"""What Rust sources define, for scripts/check_docs.py: fn names per impl'd type
(test-only or not), item names, and every word. A small tokenizer, not a parser: good
enough for item names, impl blocks and `#[cfg(test)]`. Python 3 stdlib only."""

import re

TOKEN_RE = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*)
    | (?P<raw_string>b?r(?P<hashes>\#*)")
    | (?P<string>b?"(?:\\.|[^"\\])*")
    | (?P<char>b?'(?:\\.[^']*|[^\\'])')
    | (?P<lifetime>'[A-Za-z_][A-Za-z0-9_]*)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>::|->|=>|.)
    """,
    re.VERBOSE | re.DOTALL,
)


def rust_tokens(text):
    """Identifiers and punctuation of a Rust file, without comments and literals."""
    pos, out = 0, []
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        kind = m.lastgroup if m.lastgroup != "hashes" else "raw_string"
        if m.group("block_comment"):
            depth, pos = 1, m.end()
            while depth and pos < len(text):
                if text.startswith("/*", pos):
                    depth, pos = depth + 1, pos + 2
                elif text.startswith("*/", pos):
                    depth, pos = depth - 1, pos + 2
                else:
                    pos += 1
            continue
        if m.group("raw_string") is not None:
            end = text.find('"' + m.group("hashes"), m.end())
            pos = len(text) if end < 0 else end + 1 + len(m.group("hashes"))
            out.append(("lit", ""))
            continue
        pos = m.end()
        if kind in ("ws", "line_comment"):
            continue
        if kind in ("string", "char", "lifetime"):
            out.append(("lit", m.group()))
        else:
            out.append((kind, m.group()))
    return out


class Code:
    """What the docs may name: fns per impl'd type, items, words, file names."""

    def __init__(self):
        self.methods = {}  # type or trait -> {fn name -> True if any non-test definition}
        self.traits_of = {}  # type -> {trait it implements -> True if any non-test impl}
        self.fns = {}  # fn name -> True if any non-test definition
        self.items = set()  # names of structs, enums, traits, mods, consts, macros...
        self.words = set()  # every identifier and string-literal word
        self.file_names = set()  # file and folder names, with and without extension

    def add_rust_file(self, path, text):
        test_file = bool(re.search(r"(^|/)tests?(/|\.rs$)|_tests\.rs$", path))
        self.words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
        Walker(self, rust_tokens(text), test_file).walk()

    def has_method(self, ty, name, seen=None):
        """None if `ty` is unknown; else 'ok', 'test-only' or 'missing'."""
        seen = seen or set()
        seen.add(ty)
        known = ty in self.methods or ty in self.items
        found = self.methods.get(ty, {}).get(name)
        if found:
            return "ok"
        verdict = "test-only" if found is False else "missing"
        for trait, non_test in self.traits_of.get(ty, {}).items():
            if trait not in seen and self.has_method(trait, name, seen) == "ok":
                if non_test:
                    return "ok"
                verdict = "test-only"  # the trait has it, but this impl is test-only
        return verdict if known else None


class Walker:
    """Walks a token list, tracking impl / trait / mod blocks and `#[cfg(test)]`."""

    ITEM_KEYWORDS = {"struct", "enum", "trait", "type", "const", "static", "union", "mod"}

    def __init__(self, code, tokens, test_file):
        self.code, self.toks, self.i = code, tokens, 0
        # Frames: (kind, types, test)
        self.stack = [("file", [], test_file)]
        self.pending_test = False

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("eof", "")

    def in_test(self):
        return self.pending_test or self.stack[-1][2]

    def walk(self):
        while self.i < len(self.toks):
            kind, text = self.peek()
            if text == "#" and self.peek(1)[1] in ("[", "!"):
                self.attribute()
            elif kind == "ident" and text == "impl" and self.stack[-1][0] != "fn":
                self.impl_block()
            elif kind == "ident" and text == "fn" and self.peek(1)[0] == "ident":
                self.function()
            elif kind == "ident" and text == "macro_rules" and self.peek(1)[1] == "!":
                self.code.items.add(self.peek(2)[1])
                self.i += 3
            elif kind == "ident" and text in self.ITEM_KEYWORDS and self.peek(1)[1] in ("fn", "unsafe", "async", "extern"):
                self.i += 1  # `const fn`, `const unsafe fn`: a function, not a constant
            elif kind == "ident" and text in self.ITEM_KEYWORDS and self.peek(1)[0] == "ident":
                self.item(text)
            elif text == "{":
                self.stack.append(("block", [], self.in_test()))
                self.pending_test = False
                self.i += 1
            elif text == "}":
                if len(self.stack) > 1:
                    self.stack.pop()
                self.pending_test = False  # a `#[cfg(test)]` on a struct's last field
                self.i += 1
            else:
                if text in (";", ","):
                    self.pending_test = False  # also ends a field or variant
                self.i += 1

    def attribute(self):
        start = self.i
        self.i += 2 if self.peek(1)[1] == "[" else 3
        depth, body = 1, []
        while self.i < len(self.toks) and depth:
            t = self.peek()[1]
            depth += (t == "[") - (t == "]")
            body.append(t)
            self.i += 1
        words = [t for t in body if t.isidentifier()]
        if words[:1] == ["cfg"] and cfg_requires_test(body[1:]):
            if self.toks[start + 1][1] == "!":
                self.stack[-1] = self.stack[-1][:2] + (True,)
            else:
                self.pending_test = True
        if words[:1] == ["test"]:
            self.pending_test = True

    def header_until_brace(self):
        """Tokens up to the `{` (consumed) or `;` that ends an item header."""
        out, depth = [], 0
        while self.i < len(self.toks):
            t = self.peek()[1]
            if depth == 0 and t in ("{", ";"):
                return out, t
            depth += (t in "([") - (t in ")]")
            out.append(self.peek())
            self.i += 1
        return out, ";"

    def impl_block(self):
        self.i += 1
        header, end = self.header_until_brace()
        texts = [t for _, t in header]
        # Leading generics: `impl<T: Trait<U>>`.
        j, depth = 0, 0
        if texts[:1] == ["<"]:
            for j, t in enumerate(texts):
                depth += (t == "<") - (t == ">")
                if depth == 0:
                    break
            j += 1
        rest = texts[j:]
        if "where" in rest:
            rest = rest[: rest.index("where")]
        trait, ty = None, rest
        if "for" in rest:
            k = rest.index("for")
            trait, ty = last_ident(rest[:k]), rest[k + 1 :]
        ty = last_ident(ty)
        test = self.in_test()
        self.pending_test = False
        if ty and trait:
            impls = self.code.traits_of.setdefault(ty, {})
            impls[trait] = impls.get(trait, False) or not test
        if end == "{":
            self.i += 1
            self.stack.append(("impl", [n for n in (ty,) if n], test))
        else:
            self.i += 1

    def function(self):
        name = self.peek(1)[1]
        test = self.in_test()
        self.pending_test = False
        non_test = not test
        self.code.fns[name] = self.code.fns.get(name, False) or non_test
        frame = self.stack[-1]
        if frame[0] in ("impl", "trait"):
            for ty in frame[1]:
                table = self.code.methods.setdefault(ty, {})
                table[name] = table.get(name, False) or non_test
        self.i += 2
        _, end = self.header_until_brace()
        self.i += 1
        if end == "{":
            self.stack.append(("fn", [], test))

    def item(self, keyword):
        name = self.peek(1)[1]
        self.code.items.add(name)
        test = self.in_test() or (keyword == "mod" and name == "tests")
        self.pending_test = False
        self.i += 2
        if keyword == "trait":
            self.code.methods.setdefault(name, {})
            _, end = self.header_until_brace()
            self.i += 1
            if end == "{":
                self.stack.append(("trait", [name], test))
        elif keyword == "mod" and self.peek()[1] == "{":
            self.i += 1
            self.stack.append(("mod", [], test))
        elif keyword == "enum":
            header, end = self.header_until_brace()
            self.i += 1
            if end == "{":
                self.enum_body(test)

    def enum_body(self, test):
        """Records the variants; the body itself is skipped."""
        depth, expect_variant = 1, True
        while self.i < len(self.toks) and depth:
            kind, t = self.peek()
            if depth == 1 and expect_variant and kind == "ident":
                self.code.items.add(t)
                expect_variant = False
            if t in "{([":
                depth += 1
            elif t in "})]":
                depth -= 1
            elif t == "," and depth == 1:
                expect_variant = True
            elif t == "#" and depth == 1:
                self.attribute()
                continue
            self.i += 1


def last_ident(texts):
    """The type's own name in `path::Type<Args>`: the last identifier at depth 0."""
    depth, name = 0, None
    for t in texts:
        if t == "<":
            depth += 1
        elif t == ">":
            depth -= 1
        elif depth == 0 and t.isidentifier() and t not in ("dyn", "mut", "const", "unsafe", "crate", "self"):
            name = t
    return name


def cfg_requires_test(toks):
    """True if the `cfg` predicate `( ... )` in `toks` holds only under `test`:
    `test`, `all(.., test, ..)`, `any(..)` of such predicates only; `not(..)` never."""
    pos = 0

    def pred():
        nonlocal pos
        name = toks[pos] if pos < len(toks) else ""
        pos += 1
        if pos < len(toks) and toks[pos] == "=":
            pos += 2  # `feature = "x"`
            return False
        if pos < len(toks) and toks[pos] == "(":
            pos += 1
            args = []
            while pos < len(toks) and toks[pos] != ")":
                if toks[pos] == ",":
                    pos += 1
                    continue
                args.append(pred())
            pos += 1
            if name == "all":
                return any(args)
            if name == "any":
                return bool(args) and all(args)
            return False  # `not(..)`, or anything unknown
        return name == "test"

    if toks[:1] != ["("]:
        return False
    pos = 1
    return pred()
